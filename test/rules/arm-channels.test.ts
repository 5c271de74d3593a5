import { describe, expect, it } from 'vitest';
import { armChannels, fallbackOrder } from '../../rules/arm-channels.ts';
import type { Arm, Template } from '../../rules/campaigns.ts';

const arm = (...channels: Array<'email' | 'sms' | 'webhook'>): Arm => ({
  name: 'a',
  weight: 1,
  steps: channels.flatMap((channel) => [{ wait: '1 day' }, { send: { channel, template: 't' } }]),
});
const template = (...channels: Array<'email' | 'sms' | 'webhook'>): Template =>
  Object.fromEntries(channels.map((c) => [c, c === 'webhook' ? { url: 'https://example.com/hook', body: 'x' } : { body: 'x', subject: 's' }])) as Template;

describe('an arm’s channels', () => {
  it('come in the order the sends first use them, each once', () => {
    expect(armChannels(arm('sms', 'email', 'sms', 'webhook'))).toEqual(['sms', 'email', 'webhook']);
    expect(armChannels({ name: 'wait-only', weight: 1, steps: [{ wait: '1 day' }] })).toEqual([]);
  });
});

describe('fallback order', () => {
  it('starts with the step’s channel, then the arm’s later channels, then its earlier ones', () => {
    expect(fallbackOrder('sms', ['email', 'sms', 'webhook'], template('email', 'sms', 'webhook'))).toEqual(['sms', 'webhook', 'email']);
    expect(fallbackOrder('email', ['email', 'sms'], template('email', 'sms'))).toEqual(['email', 'sms']);
  });

  it('leaves out channels the template has no version for, including the step’s own', () => {
    expect(fallbackOrder('email', ['email', 'sms', 'webhook'], template('email', 'webhook'))).toEqual(['email', 'webhook']);
    expect(fallbackOrder('sms', ['email', 'sms'], template('email'))).toEqual(['email']);
  });

  it('puts a channel the arm does not list first, then all of the arm’s', () => {
    expect(fallbackOrder('webhook', ['email', 'sms'], template('email', 'sms', 'webhook'))).toEqual(['webhook', 'email', 'sms']);
  });
});
