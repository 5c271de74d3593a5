import { describe, expect, it } from 'vitest';
import { redact } from '../../activities/channels/redact.ts';

describe('redact', () => {
  it('blanks addresses and phone numbers in provider errors', () => {
    expect(redact('550 5.1.1 <ada.l@example.co.uk>: Recipient address rejected')).toBe('550 5.1.1 <<email>>: Recipient address rejected');
    expect(redact("The 'To' number +1 (555) 010-0199 is not a valid phone number.")).toBe("The 'To' number <phone> is not a valid phone number.");
    expect(redact('twilio 21211: invalid')).toBe('twilio 21211: invalid');
    expect(redact('smtp 451 at DATA: try later')).toBe('smtp 451 at DATA: try later');
  });
});
