import { dockerAvailable, type KmsWireServer, startKmsWireServer, startLocalStackKms } from '@strongroom/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope, createKmsKeyring, type KmsKeyringOptions, parseEnvelope } from '../src/index';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const ctx = { org_id: 'org-a', secret_id: 's', version: '1' };

/** The same contract checks against any KMS-compatible endpoint. */
function contract(name: string, start: () => Promise<{ url: string; createKey(): Promise<string> | string; close(): Promise<void> }>) {
  describe(`KmsKeyring against ${name}`, () => {
    let kms: Awaited<ReturnType<typeof start>>;
    let keyA: string;
    let keyB: string;
    const keyring = (keyId: string) => createKmsKeyring({ keyId, endpoint: kms.url, region: 'us-east-1', credentials });

    beforeAll(async () => {
      kms = await start();
      keyA = await kms.createKey();
      keyB = await kms.createKey();
    }, 180_000);
    afterAll(() => kms?.close());

    it('seals and opens through GenerateDataKey and Decrypt with the org as KMS context', async () => {
      const envelope = createEnvelope({ keyring: keyring(keyA), cache: false, kmsContextKeys: ['org_id'] });
      const sealed = await envelope.seal(Buffer.from('via kms'), ctx);
      expect(Buffer.from(await envelope.open(sealed, ctx)).toString()).toBe('via kms');
      expect(envelope.keyIdOf(sealed)).toMatch(/^arn:aws:kms:/);
      await expect(envelope.open(sealed, { ...ctx, org_id: 'org-b' })).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
    });

    it('rewraps under another key with ReEncrypt, value bytes untouched', async () => {
      const envelope = createEnvelope({ keyring: keyring(keyA), cache: false, kmsContextKeys: ['org_id'] });
      const sealed = await envelope.seal(Buffer.from('rotate'), ctx);
      const moved = await envelope.rewrap(sealed, ctx, keyB);
      expect(envelope.keyIdOf(moved)).toBe(keyB);
      const [before, after] = [parseEnvelope(sealed), parseEnvelope(moved)];
      for (const field of ['iv', 'ciphertext', 'tag'] as const) {
        expect(Buffer.from(after[field]).equals(Buffer.from(before[field])), field).toBe(true);
      }
      expect(Buffer.from(await envelope.open(moved, ctx)).toString()).toBe('rotate');
    });

    it('check() resolves for a live key', async () => {
      await expect(keyring(keyA).check()).resolves.toBeUndefined();
    });
  });
}

contract('the KMS wire server', async () => {
  const server = await startKmsWireServer();
  return { url: server.url, createKey: () => server.createKey(), close: () => server.close() };
});

const docker = await dockerAvailable();
if (!docker) console.info('LocalStack KMS tests skipped: no Docker engine on this machine (the wire server covers the contract)');
describe.skipIf(!docker)('LocalStack', () => contract('LocalStack via testcontainers', startLocalStackKms));

describe('KmsKeyring faults (wire server)', () => {
  let kms: KmsWireServer;
  let key: string;
  beforeAll(async () => {
    kms = await startKmsWireServer();
    key = kms.createKey('strongroom');
  });
  afterAll(() => kms.close());
  afterEach(() => {
    kms.clearFaults();
    kms.resetCounts();
  });

  const fresh = (opts: Partial<KmsKeyringOptions> = {}) =>
    createKmsKeyring({ keyId: key, endpoint: kms.url, region: 'us-east-1', credentials, maxAttempts: 3, timeoutMs: 300, ...opts });

  /** Runs a keyring call, returning its error code, elapsed ms and the attempts the server saw. */
  async function attempt(call: () => Promise<unknown>) {
    const started = Date.now();
    const err = await call().then(
      () => undefined,
      (e: { code?: string; message?: string }) => e,
    );
    return { code: err?.code, message: err?.message ?? '', ms: Date.now() - started, attempts: kms.requests() };
  }

  it.each([
    ['throttle', 3],
    ['internal', 3],
    ['accessDenied', 1],
  ] as const)('%s: KEY_UNAVAILABLE after a bounded number of attempts', async (kind, attempts) => {
    kms.fault({ kind });
    const r = await attempt(() => fresh().generateDataKey({ org_id: 'a' }));
    expect(r).toMatchObject({ code: 'KEY_UNAVAILABLE', attempts });
    expect(r.ms).toBeLessThan(8_000);
  });

  it('a slow answer times out per attempt and gives up', async () => {
    kms.fault({ kind: 'slow', delayMs: 2_000 });
    const r = await attempt(() => fresh({ maxAttempts: 2 }).generateDataKey({ org_id: 'a' }));
    expect(r).toMatchObject({ code: 'KEY_UNAVAILABLE', attempts: 2 });
    expect(r.ms).toBeLessThan(4_000);
  });

  it('a server that never answers does not hang', async () => {
    kms.fault({ kind: 'hang' });
    const r = await attempt(() => fresh({ maxAttempts: 1 }).unwrap(key, new Uint8Array(60), { org_id: 'a' }));
    expect(r.code).toBe('KEY_UNAVAILABLE');
    expect(r.ms).toBeLessThan(3_000);
  });

  it('recovers after a transient fault within its retries', async () => {
    kms.fault({ kind: 'throttle', count: 1 });
    const r = await attempt(() => fresh().generateDataKey({ org_id: 'a' }));
    expect(r).toMatchObject({ code: undefined, attempts: 2 });
  });

  it('a wrong key id is a decryption failure, not a retry', async () => {
    const other = kms.createKey();
    const dataKey = await fresh().generateDataKey({ org_id: 'a' });
    kms.resetCounts();
    const r = await attempt(() => fresh().unwrap(other, dataKey.wrapped, { org_id: 'a' }));
    expect(r).toMatchObject({ code: 'DECRYPTION_FAILED', attempts: 1 });
  });

  it('a disabled or unknown key is KEY_UNAVAILABLE and check() says so', async () => {
    const disabled = kms.createKey();
    kms.setKeyEnabled(disabled, false);
    expect((await attempt(() => fresh({ keyId: disabled }).generateDataKey({ org_id: 'a' }))).code).toBe('KEY_UNAVAILABLE');
    await expect(fresh({ keyId: disabled }).check()).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' });
    await expect(fresh({ keyId: 'alias/missing' }).check()).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' });
  });

  it('a closed port fails fast', async () => {
    const r = await attempt(() =>
      createKmsKeyring({ keyId: key, endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials, maxAttempts: 2, timeoutMs: 300 }).check(),
    );
    expect(r.code).toBe('KEY_UNAVAILABLE');
    expect(r.ms).toBeLessThan(3_000);
  });

  it('messages name the operation and error, never key material', async () => {
    kms.fault({ kind: 'accessDenied' });
    const r = await attempt(() => fresh().generateDataKey({ org_id: 'a' }));
    expect(r.message).toBe('KMS GenerateDataKey failed (AccessDeniedException); retry later');
  });

  it('refuses bad configuration at construction', () => {
    expect(() => createKmsKeyring({ keyId: '' })).toThrow(/keyId/);
    expect(() => createKmsKeyring({ keyId: key, maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => createKmsKeyring({ keyId: key, timeoutMs: -1 })).toThrow(/timeoutMs/);
  });

  it('10 000 opens of 100 values of one org cost one keyring call per distinct data key', async () => {
    const envelope = createEnvelope({ keyring: fresh(), cache: { maxAgeMs: 60_000, maxUses: 100_000 }, kmsContextKeys: ['org_id'] });
    const sealed = [];
    for (let i = 0; i < 100; i++) sealed.push(await envelope.seal(Buffer.from(`v${i}`), { org_id: 'a', secret_id: `s${i}`, version: '1' }));
    const distinctKeys = new Set(sealed.map((s) => Buffer.from(parseEnvelope(s).wrappedKey).toString('base64'))).size;
    // A second envelope with a cold cache, as another process would have.
    const reader = createEnvelope({ keyring: fresh(), cache: { maxAgeMs: 60_000, maxUses: 100_000 }, kmsContextKeys: ['org_id'] });
    kms.resetCounts();
    for (let i = 0; i < 10_000; i++) {
      const n = i % 100;
      await reader.open(sealed[n]!, { org_id: 'a', secret_id: `s${n}`, version: '1' });
    }
    expect(distinctKeys).toBe(1);
    expect(envelope.stats().kmsCalls).toBe(distinctKeys);
    expect(reader.stats().kmsCalls).toBe(distinctKeys);
    expect(kms.requests('Decrypt')).toBe(distinctKeys);
    expect(reader.stats()).toMatchObject({ cacheHits: 10_000 - distinctKeys, cacheMisses: distinctKeys });
  });
});

describe('canonicalKeyId', () => {
  it('resolves an alias to the ARN envelopes record, and refuses unknown keys', async () => {
    const kms = await startKmsWireServer();
    try {
      const arn = kms.createKey('rotation-target');
      const keyring = createKmsKeyring({ keyId: arn, endpoint: kms.url, region: 'us-east-1', credentials });
      expect(await keyring.canonicalKeyId('alias/rotation-target')).toBe(arn);
      await expect(keyring.canonicalKeyId('alias/nope')).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' });
    } finally {
      await kms.close();
    }
  });
});
