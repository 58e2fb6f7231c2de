/**
 * Writes vectors.json: known-answer vectors for envelope format v1 under a local keyring.
 * Run with `npm run vectors -w @strongroom/crypto`; commit the result. Append-only: vectors already
 * in the file (and their KEK) are kept as they are, because values sealed by earlier versions of
 * the code must keep opening; only cases missing by name are sealed anew. Expected errors are
 * written by hand, never read back from the code under test.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createEnvelope, createLocalKeyring } from '../src/index';

interface Positive {
  name: string;
  plaintext: string;
  context: Record<string, string>;
  sealed: string;
}

const file = new URL('./vectors.json', import.meta.url);
const existing = existsSync(file)
  ? (JSON.parse(readFileSync(file, 'utf8')) as { kek: { id: string; key: string }; positive: Positive[] })
  : undefined;
const kek = existing ? Buffer.from(existing.kek.key, 'base64') : randomBytes(32);
const keyId = existing?.kek.id ?? 'kat-kek-1';
const kmsContextKeys = ['org_id'];
const envelope = createEnvelope({
  keyring: createLocalKeyring({ keys: { [keyId]: kek }, primaryKeyId: keyId }),
  cache: false,
  kmsContextKeys,
});
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

const cases: Omit<Positive, 'sealed'>[] = [
  { name: 'empty value', plaintext: '', context: { org_id: 'o1', secret_id: 's1', version: '1' } },
  { name: 'ascii value', plaintext: 'sk-live-0123456789', context: { org_id: 'o1', secret_id: 's2', version: '7' } },
  {
    name: 'unicode value and context',
    plaintext: 'пароль 🔑',
    context: { org_id: 'é', secret_id: '秘密', version: '2' },
  },
  { name: 'only the KMS context', plaintext: 'org only', context: { org_id: 'o3' } },
  { name: 'value of 1 KiB', plaintext: 'x'.repeat(1024), context: { org_id: 'o1', secret_id: 's3', version: '1' } },
];
const positive: Positive[] = [];
for (const c of cases) {
  const kept = existing?.positive.find((p) => p.name === c.name);
  positive.push(kept ?? { ...c, sealed: b64(await envelope.seal(Buffer.from(c.plaintext, 'utf8'), c.context)) });
}

// Negative vectors: precise changes to the 'ascii value' vector, so they are the same on every run.
const base = Buffer.from(positive[1]!.sealed, 'base64');
const ctx = positive[1]!.context;
const n = base[2]!;
const wrappedAt = 3 + n + 2;
const ivAt = wrappedAt + base.readUInt16BE(3 + n);
const changed = (edit: (b: Buffer) => void) => {
  const b = Buffer.from(base);
  edit(b);
  return b64(b);
};
const flip = (offset: number) => changed((b) => void (b[offset < 0 ? b.length + offset : offset]! ^= 0x01));
const other = Buffer.from(positive[0]!.sealed, 'base64');
const negative = [
  { name: 'format version changed', sealed: flip(0), context: ctx, error: 'INVALID_INPUT' },
  { name: 'algorithm changed', sealed: flip(1), context: ctx, error: 'INVALID_INPUT' },
  { name: 'KEK id changed', sealed: flip(3), context: ctx, error: 'KEY_UNAVAILABLE' },
  { name: 'KEK id not UTF-8', sealed: changed((b) => void (b[3] = 0xff)), context: ctx, error: 'INVALID_INPUT' },
  {
    name: 'wrapped key length zero',
    sealed: changed((b) => void b.writeUInt16BE(0, 3 + n)),
    context: ctx,
    error: 'INVALID_INPUT',
  },
  { name: 'wrapped key changed', sealed: flip(wrappedAt + 5), context: ctx, error: 'DECRYPTION_FAILED' },
  {
    name: 'wrapped key of another value of the org',
    sealed: changed((b) => void other.copy(b, wrappedAt, wrappedAt, ivAt)),
    context: ctx,
    error: 'DECRYPTION_FAILED',
  },
  { name: 'IV changed', sealed: flip(ivAt), context: ctx, error: 'DECRYPTION_FAILED' },
  { name: 'ciphertext changed', sealed: flip(-17), context: ctx, error: 'DECRYPTION_FAILED' },
  { name: 'tag changed', sealed: flip(-1), context: ctx, error: 'DECRYPTION_FAILED' },
  { name: 'truncated', sealed: b64(base.subarray(0, base.length - 1)), context: ctx, error: 'DECRYPTION_FAILED' },
  {
    name: 'extended by one byte',
    sealed: b64(Buffer.concat([base, Buffer.from([0])])),
    context: ctx,
    error: 'DECRYPTION_FAILED',
  },
  {
    name: 'wrong version in context',
    sealed: b64(base),
    context: { ...ctx, version: '8' },
    error: 'DECRYPTION_FAILED',
  },
  {
    name: 'wrong secret id in context',
    sealed: b64(base),
    context: { ...ctx, secret_id: 's1' },
    error: 'DECRYPTION_FAILED',
  },
  { name: 'wrong org in context', sealed: b64(base), context: { ...ctx, org_id: 'o2' }, error: 'DECRYPTION_FAILED' },
  {
    name: 'context with an unpaired surrogate',
    sealed: b64(base),
    context: { ...ctx, version: '\ud800' },
    error: 'INVALID_INPUT',
  },
  { name: 'empty input', sealed: '', context: ctx, error: 'INVALID_INPUT' },
];

writeFileSync(
  file,
  `${JSON.stringify({ format: 1, kek: { id: keyId, key: b64(kek) }, kmsContextKeys, positive, negative }, null, 2)}\n`,
);
console.log(`wrote ${positive.length} positive and ${negative.length} negative vectors to ${file.pathname}`);
