import { describe, expect, it } from 'vitest';
import { createScrubber, REDACTED } from '../src/index';

const value = 'sk-live-Abc123+/=&?é';
const scrub = createScrubber([value, 'short']);

describe('createScrubber', () => {
  it.each([
    ['as is', value],
    ['base64', Buffer.from(value).toString('base64')],
    ['base64 without padding', Buffer.from(value).toString('base64').replace(/=+$/, '')],
    ['base64url', Buffer.from(value).toString('base64url')],
    ['hex', Buffer.from(value).toString('hex')],
    ['URL-encoded', encodeURIComponent(value)],
    ['JSON-escaped', JSON.stringify(value).slice(1, -1)],
  ])('removes the value %s', (_label, form) => {
    expect(scrub.text(`before ${form} after`)).toBe(`before ${REDACTED} after`);
  });

  it('walks messages, tool results and keys, and leaves other data alone', () => {
    const scrubbed = scrub.deep({
      role: 'tool',
      content: [{ type: 'text', text: `token: ${value}` }],
      [value]: 1,
      n: 2,
      ok: true,
    });
    expect(JSON.stringify(scrubbed)).not.toContain(value);
    expect(scrubbed).toMatchObject({ role: 'tool', content: [{ text: `token: ${REDACTED}` }], n: 2, ok: true });
  });

  it('does not mangle ordinary text with values too short to scrub safely', () => {
    expect(scrub.text('a short story')).toBe('a short story');
  });
});
