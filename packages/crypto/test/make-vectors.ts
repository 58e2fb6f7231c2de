/**
 * Regenerates vectors.json: known-answer vectors for envelope format v1 under a local keyring.
 * Run with `npm run vectors -w @strongroom/crypto`; commit the result. Existing vectors must keep
 * opening with every later version of the code, so never regenerate to make a test pass.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createEnvelope, createLocalKeyring } from '../src/index';

const kek = randomBytes(32);
const keyId = 'kat-kek-1';
const envelope = createEnvelope({ keyring: createLocalKeyring({ keys: { [keyId]: kek }, primaryKeyId: keyId }), cache: false, kmsContextKeys: ['org_id'] });
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

const cases: { name: string; plaintext: string; context: Record<string, string> }[] = [
  { name: 'empty value', plaintext: '', context: { org_id: 'o1', secret_id: 's1', version: '1' } },
  { name: 'ascii value', plaintext: 'sk-live-0123456789', context: { org_id: 'o1', secret_id: 's2', version: '7' } },
  { name: 'unicode value and context', plaintext: 'пароль 🔑', context: { org_id: 'é', secret_id: '秘密', version: '2' } },
  { name: 'only the KMS context', plaintext: 'org only', context: { org_id: 'o3' } as Record<string, string> },
];

const positive = [];
for (const c of cases) positive.push({ ...c, sealed: b64(await envelope.seal(Buffer.from(c.plaintext, 'utf8'), c.context)) });

const base = Buffer.from(positive[1]!.sealed, 'base64');
const flip = (offset: number) => {
  const b = Buffer.from(base);
  b[offset < 0 ? b.length + offset : offset]! ^= 0x01;
  return b64(b);
};
const ctx = cases[1]!.context;
const negative = [
  { name: 'format version changed', sealed: flip(0), context: ctx, error: 'INVALID_INPUT' },
  { name: 'algorithm changed', sealed: flip(1), context: ctx, error: 'INVALID_INPUT' },
  { name: 'KEK id changed', sealed: flip(3), context: ctx, error: 'DECRYPTION_FAILED' },
  { name: 'wrapped key changed', sealed: flip(3 + keyId.length + 2 + 5), context: ctx, error: 'DECRYPTION_FAILED' },
  { name: 'IV changed', sealed: flip(3 + keyId.length + 2 + 60), context: ctx, error: 'DECRYPTION_FAILED' },
  { name: 'ciphertext changed', sealed: flip(-17), context: ctx, error: 'DECRYPTION_FAILED' },
  { name: 'tag changed', sealed: flip(-1), context: ctx, error: 'DECRYPTION_FAILED' },
  { name: 'truncated', sealed: b64(base.subarray(0, base.length - 1)), context: ctx, error: 'DECRYPTION_FAILED' },
  { name: 'wrong version in context', sealed: b64(base), context: { ...ctx, version: '8' }, error: 'DECRYPTION_FAILED' },
  { name: 'wrong org in context', sealed: b64(base), context: { ...ctx, org_id: 'o2' }, error: 'DECRYPTION_FAILED' },
  { name: 'empty input', sealed: '', context: ctx, error: 'INVALID_INPUT' },
];

const file = new URL('./vectors.json', import.meta.url);
writeFileSync(file, `${JSON.stringify({ format: 1, kek: { id: keyId, key: b64(kek) }, kmsContextKeys: ['org_id'], positive, negative }, null, 2)}\n`);
console.log(`wrote ${positive.length} positive and ${negative.length} negative vectors to ${file.pathname}`);
