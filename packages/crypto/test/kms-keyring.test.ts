import { dockerAvailable, startKmsWireServer, startLocalStackKms } from '@strongroom/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope, parseEnvelope } from '../src/index';
import { failsWith } from './support/expect-failure';
import { ctx, kmsKeyring } from './support/kms';

interface KmsUnderTest {
  url: string;
  createKey(): Promise<string> | string;
  close(): Promise<void>;
}

/** The same contract against any KMS-compatible endpoint, through the real @aws-sdk/client-kms. */
function contract(name: string, start: () => Promise<KmsUnderTest>) {
  describe(`KmsKeyring against ${name}`, () => {
    let kms: KmsUnderTest;
    let keyA: string;
    let keyB: string;
    const envelopeOn = (keyId: string) =>
      createEnvelope({ keyring: kmsKeyring(kms.url, keyId), cache: false, kmsContextKeys: ['org_id'] });

    beforeAll(async () => {
      kms = await start();
      keyA = await kms.createKey();
      keyB = await kms.createKey();
    }, 180_000);
    afterAll(() => kms?.close());

    it('seals and opens through GenerateDataKey and Decrypt with the org as KMS context', async () => {
      const envelope = envelopeOn(keyA);
      const sealed = await envelope.seal(Buffer.from('via kms'), ctx);
      expect(Buffer.from(await envelope.open(sealed, ctx)).toString()).toBe('via kms');
      expect(envelope.keyIdOf(sealed)).toBe(keyA);
      await failsWith(envelope.open(sealed, { ...ctx, org_id: 'org-b' }), 'DECRYPTION_FAILED');
      await failsWith(envelope.open(sealed, { ...ctx, version: '2' }), 'DECRYPTION_FAILED');
    });

    it('rewraps kms → kms with ReEncrypt: IV, ciphertext and tag bytes identical, and it opens', async () => {
      const envelope = envelopeOn(keyA);
      const sealed = await envelope.seal(Buffer.from('rotate'), ctx);
      const moved = await envelope.rewrap(sealed, ctx, keyB);
      expect(envelope.keyIdOf(moved)).toBe(keyB);
      const [before, after] = [parseEnvelope(sealed), parseEnvelope(moved)];
      for (const field of ['iv', 'ciphertext', 'tag'] as const) {
        expect(Buffer.from(after[field]).equals(Buffer.from(before[field])), field).toBe(true);
      }
      // A process configured with the new key only opens it.
      expect(Buffer.from(await envelopeOn(keyB).open(moved, ctx)).toString()).toBe('rotate');
    });

    it('a changed KEK id or wrapped key is DECRYPTION_FAILED, not a retryable error', async () => {
      const envelope = envelopeOn(keyA);
      const sealed = Buffer.from(await envelope.seal(Buffer.from('v'), ctx));
      // Another well-formed key id that KMS does not hold: KMS answers NotFound for the envelope's key.
      const otherId = Buffer.from(sealed);
      const last = 2 + sealed[2]!;
      otherId[last] = otherId[last] === 0x30 ? 0x31 : 0x30;
      await failsWith(envelope.open(otherId, ctx), 'DECRYPTION_FAILED');
      // The other KMS key: IncorrectKeyException.
      const swapped = Buffer.from(await envelopeOn(keyB).seal(Buffer.from('v'), ctx));
      const spliced = Buffer.concat([swapped.subarray(0, 3 + swapped[2]!), sealed.subarray(3 + sealed[2]!)]);
      await failsWith(envelope.open(spliced, ctx), 'DECRYPTION_FAILED');
      const wrapped = Buffer.from(sealed);
      wrapped[5 + sealed[2]! + 20]! ^= 0x01;
      await failsWith(envelope.open(wrapped, ctx), 'DECRYPTION_FAILED');
    });

    it('check() resolves for a live key', async () => {
      await expect(kmsKeyring(kms.url, keyA).check()).resolves.toBeUndefined();
    });
  });
}

contract('the KMS wire server', async () => {
  const server = await startKmsWireServer();
  return { url: server.url, createKey: () => server.createKey(), close: () => server.close() };
});

const docker = await dockerAvailable();
if (!docker)
  console.info(
    'LocalStack KMS tests skipped: no Docker engine on this machine (the wire server ran the same contract)',
  );
describe.skipIf(!docker)('LocalStack (Docker engine found)', () =>
  contract('LocalStack via testcontainers', startLocalStackKms),
);

describe('KmsKeyring through the wire server: every byte of KEK id and wrapped key', () => {
  it('flipping the low or the high bit of any of those bytes never gives plaintext', async () => {
    const kms = await startKmsWireServer();
    try {
      const envelope = createEnvelope({
        keyring: kmsKeyring(kms.url, kms.createKey()),
        cache: false,
        kmsContextKeys: ['org_id'],
      });
      const sealed = await envelope.seal(Buffer.from('v'), ctx);
      const wrappedEnd = 5 + sealed[2]! + Buffer.from(sealed).readUInt16BE(3 + sealed[2]!);
      for (let i = 3; i < wrappedEnd; i++) {
        for (const bit of [0x01, 0x80]) {
          const bad = Uint8Array.from(sealed);
          bad[i]! ^= bit;
          await failsWith(envelope.open(bad, ctx), 'DECRYPTION_FAILED', 'INVALID_INPUT');
        }
      }
    } finally {
      await kms.close();
    }
  });
});
