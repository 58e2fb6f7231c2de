import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEnvelope, createLocalKeyring, type CryptoErrorCode } from '../src/index';
import { failsWith } from './support/expect-failure';

interface Vectors {
  format: number;
  kek: { id: string; key: string };
  kmsContextKeys: string[];
  positive: { name: string; plaintext: string; context: Record<string, string>; sealed: string }[];
  negative: { name: string; context: Record<string, string>; sealed: string; error: CryptoErrorCode }[];
}

/** Known-answer vectors checked in as JSON (read with JSON.parse: some hold escapes a bundler's JSON loader refuses). */
const vectors = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8')) as Vectors;
const envelope = createEnvelope({
  keyring: createLocalKeyring({
    keys: { [vectors.kek.id]: Buffer.from(vectors.kek.key, 'base64') },
    primaryKeyId: vectors.kek.id,
  }),
  cache: false,
  kmsContextKeys: vectors.kmsContextKeys,
});

describe(`known-answer vectors, envelope format ${vectors.format}`, () => {
  it.each(vectors.positive)('opens: $name', async (v) => {
    const plain = await envelope.open(Buffer.from(v.sealed, 'base64'), v.context);
    expect(Buffer.from(plain).toString('utf8')).toBe(v.plaintext);
  });

  it.each(vectors.negative)('refuses: $name → $error', async (v) => {
    await failsWith(envelope.open(Buffer.from(v.sealed, 'base64'), v.context), v.error);
  });
});
