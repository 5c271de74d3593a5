/** Contact traits: personal data, so a rule may only ask whether they are present. */
export const CONTACT_TRAITS = ['email', 'phone', 'name', 'firstName', 'lastName', 'address'] as const;

const contactKeys = new Set(CONTACT_TRAITS.map((t) => t.toLowerCase()));

/** Case and separators do not matter: first_name and FirstName are contact data too. */
export const isContactTrait = (name: string) => contactKeys.has(name.toLowerCase().replaceAll(/[_\s-]/g, ''));
