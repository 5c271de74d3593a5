const EMAIL = /[^\s<>()"',;:]+@[^\s<>()"',;:]+\.[A-Za-z]{2,}/g;
const PHONE = /\+?\d[\d\s().-]{6,}\d/g;

/**
 * Provider errors quote the recipient ("550 <ada@example.com>: no such user"). Reasons go to the
 * workflow's history, which must hold no personal data, so addresses and numbers are blanked.
 */
export function redact(text: string): string {
  // Seven digits or more: SMTP codes such as "550 5.1.1" are not numbers anyone answers.
  return text.replace(EMAIL, '<email>').replace(PHONE, (match) => (match.replace(/\D/g, '').length >= 7 ? '<phone>' : match));
}
