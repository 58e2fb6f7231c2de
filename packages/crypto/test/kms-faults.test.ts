import type { KMSClient } from '@aws-sdk/client-kms';
import { type KmsWireServer, startKmsWireServer } from '@strongroom/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope, createKmsKeyring, type KmsKeyringOptions, parseEnvelope } from '../src/index';
import { failsWith, refusedConfig } from './support/expect-failure';
import { kmsKeyring } from './support/kms';

describe('KmsKeyring faults (wire server, real SDK over HTTP)', () => {
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

  // Short timeouts keep every fault test near a second; the bounds below are what the test asserts.
  const fresh = (options: Partial<KmsKeyringOptions> = {}) =>
    kmsKeyring(kms.url, key, { maxAttempts: 3, timeoutMs: 300, ...options });

  /** Runs a keyring call: its error code and message, elapsed ms, and the SDK attempt numbers the server saw. */
  async function attempt(call: () => Promise<unknown>) {
    const started = performance.now();
    const err = await call().then(
      () => undefined,
      (e: { code?: string; message?: string }) => e,
    );
    return { code: err?.code, message: err?.message ?? '', ms: performance.now() - started, attempts: kms.attempts() };
  }

  it.each([
    ['throttle', [1, 2, 3]],
    ['internal', [1, 2, 3]],
    ['accessDenied', [1]],
  ] as const)('%s: KEY_UNAVAILABLE after a bounded number of attempts', async (kind, attempts) => {
    kms.fault({ kind });
    const r = await attempt(() => fresh().generateDataKey({ org_id: 'a' }));
    expect(r).toMatchObject({ code: 'KEY_UNAVAILABLE', attempts });
    expect(r.ms).toBeLessThan(5_000);
  });

  it('the same faults on Decrypt: KEY_UNAVAILABLE, bounded', async () => {
    const dataKey = await fresh().generateDataKey({ org_id: 'a' });
    for (const kind of ['throttle', 'internal', 'accessDenied'] as const) {
      kms.resetCounts();
      kms.fault({ kind, ops: ['Decrypt'] });
      const r = await attempt(() => fresh({ maxAttempts: 2 }).unwrap(dataKey.keyId, dataKey.wrapped, { org_id: 'a' }));
      expect(r, kind).toMatchObject({ code: 'KEY_UNAVAILABLE', attempts: kind === 'accessDenied' ? [1] : [1, 2] });
      expect(r.ms).toBeLessThan(3_000);
      kms.clearFaults();
    }
  });

  it('a slow answer times out per attempt and gives up', async () => {
    kms.fault({ kind: 'slow', delayMs: 2_000 });
    const r = await attempt(() => fresh({ maxAttempts: 2 }).generateDataKey({ org_id: 'a' }));
    expect(r).toMatchObject({ code: 'KEY_UNAVAILABLE', attempts: [1, 2] });
    expect(r.ms).toBeLessThan(2_000);
  });

  it('a slow answer within the timeout is fine', async () => {
    kms.fault({ kind: 'slow', delayMs: 100 });
    const r = await attempt(() => fresh({ timeoutMs: 1_000 }).generateDataKey({ org_id: 'a' }));
    expect(r).toMatchObject({ code: undefined, attempts: [1] });
  });

  it('a server that never answers does not hang', async () => {
    kms.fault({ kind: 'hang' });
    const once = await attempt(() => fresh({ maxAttempts: 1 }).unwrap(key, new Uint8Array(60), { org_id: 'a' }));
    expect(once).toMatchObject({ code: 'KEY_UNAVAILABLE', attempts: [1] });
    expect(once.ms).toBeLessThan(1_500);
    kms.resetCounts();
    const thrice = await attempt(() => fresh().check());
    expect(thrice).toMatchObject({ code: 'KEY_UNAVAILABLE', attempts: [1, 2, 3] });
    expect(thrice.ms).toBeLessThan(4_000);
  });

  it('recovers after a transient fault within its retries', async () => {
    kms.fault({ kind: 'throttle', count: 1 });
    const r = await attempt(() => fresh().generateDataKey({ org_id: 'a' }));
    expect(r).toMatchObject({ code: undefined, attempts: [1, 2] });
  });

  it('a wrong key id is a decryption failure, not a retry', async () => {
    const other = kms.createKey();
    const dataKey = await fresh().generateDataKey({ org_id: 'a' });
    kms.resetCounts();
    const r = await attempt(() => fresh().unwrap(other, dataKey.wrapped, { org_id: 'a' }));
    expect(r).toMatchObject({ code: 'DECRYPTION_FAILED', attempts: [1] });
  });

  it('a Decrypt naming a key KMS does not hold is a decryption failure, not a retry', async () => {
    const dataKey = await fresh().generateDataKey({ org_id: 'a' });
    kms.resetCounts();
    // The key id with its last character changed: to something else even when it is already '0'.
    const unheld = `${dataKey.keyId.slice(0, -1)}${dataKey.keyId.endsWith('0') ? '1' : '0'}`;
    const r = await attempt(() => fresh().unwrap(unheld, dataKey.wrapped, { org_id: 'a' }));
    expect(r).toMatchObject({ code: 'DECRYPTION_FAILED', attempts: [1] });
  });

  it('a disabled key is KEY_UNAVAILABLE for every operation, and check() says so', async () => {
    const disabled = kms.createKey();
    const dataKey = await fresh({ keyId: disabled }).generateDataKey({ org_id: 'a' });
    kms.setKeyEnabled(disabled, false);
    const keyring = fresh({ keyId: disabled });
    await failsWith(keyring.generateDataKey({ org_id: 'a' }), 'KEY_UNAVAILABLE');
    await failsWith(keyring.unwrap(disabled, dataKey.wrapped, { org_id: 'a' }), 'KEY_UNAVAILABLE');
    await failsWith(keyring.rewrap(disabled, dataKey.wrapped, { org_id: 'a' }, key), 'KEY_UNAVAILABLE');
    expect((await failsWith(keyring.check(), 'KEY_UNAVAILABLE')).message).toBe('The KMS key is disabled');
    kms.setKeyEnabled(disabled, true);
    await expect(keyring.check()).resolves.toBeUndefined();
  });

  it('an unknown configured key is KEY_UNAVAILABLE (a configuration problem /readyz shows)', async () => {
    await failsWith(fresh({ keyId: 'alias/missing' }).generateDataKey({ org_id: 'a' }), 'KEY_UNAVAILABLE');
    await failsWith(fresh({ keyId: 'alias/missing' }).check(), 'KEY_UNAVAILABLE');
  });

  it('a closed port fails fast', async () => {
    const r = await attempt(() => kmsKeyring('http://127.0.0.1:9', key, { maxAttempts: 2, timeoutMs: 300 }).check());
    expect(r.code).toBe('KEY_UNAVAILABLE');
    expect(r.ms).toBeLessThan(3_000);
  });

  it('messages name the operation and error, never key material', async () => {
    kms.fault({ kind: 'accessDenied' });
    const r = await attempt(() => fresh().generateDataKey({ org_id: 'a' }));
    expect(r.message).toBe('KMS GenerateDataKey failed (AccessDeniedException); retry later');
  });

  it('10 000 opens of 100 values of one org cost one keyring call per distinct data key', async () => {
    const cache = { maxAgeMs: 60_000, maxUses: 100_000 };
    const envelope = createEnvelope({ keyring: fresh(), cache, kmsContextKeys: ['org_id'] });
    const context = (i: number) => ({ org_id: 'a', secret_id: `s${i}`, version: '1' });
    const sealed = [];
    for (let i = 0; i < 100; i++) sealed.push(await envelope.seal(Buffer.from(`v${i}`), context(i)));
    const distinctKeys = new Set(sealed.map((s) => Buffer.from(parseEnvelope(s).wrappedKey).toString('base64'))).size;
    expect(distinctKeys).toBe(1);
    expect(envelope.stats().kmsCalls).toBe(distinctKeys);
    expect(kms.requests('GenerateDataKey')).toBe(distinctKeys);
    // Opened by the warm envelope that sealed them, and by a second one with a cold cache (another process).
    const reader = createEnvelope({ keyring: fresh(), cache, kmsContextKeys: ['org_id'] });
    for (const env of [envelope, reader]) {
      for (let i = 0; i < 10_000; i++) await env.open(sealed[i % 100]!, context(i % 100));
    }
    expect(envelope.stats().kmsCalls).toBe(distinctKeys);
    expect(reader.stats()).toEqual({
      kmsCalls: distinctKeys,
      cacheHits: 10_000 - distinctKeys,
      cacheMisses: distinctKeys,
    });
    expect(kms.requests('Decrypt')).toBe(distinctKeys);
    expect(kms.requests()).toBe(2 * distinctKeys);
  });

  it('canonicalKeyId resolves an alias to the ARN envelopes record, and refuses unknown keys', async () => {
    expect(await fresh().canonicalKeyId('alias/strongroom')).toBe(key);
    await failsWith(fresh().canonicalKeyId('alias/nope'), 'KEY_UNAVAILABLE');
  });
});

describe('createKmsKeyring', () => {
  it('Precondition: keyId is a KMS key id, ARN or alias of 1 to 255 bytes', () => {
    for (const keyId of ['', '  ', undefined, 'k'.repeat(256)])
      refusedConfig(() => createKmsKeyring({ keyId } as never));
  });

  it('Precondition: an endpoint is a URL', () => {
    refusedConfig(() => createKmsKeyring({ keyId: 'k', endpoint: '127.0.0.1:4566' }));
  });

  it('Precondition: maxAttempts is an integer from 1 to 10', () => {
    for (const maxAttempts of [0, 11, 1.5, Number.NaN])
      refusedConfig(() => createKmsKeyring({ keyId: 'k', maxAttempts }));
  });

  it('Precondition: timeoutMs is a positive, finite number of milliseconds', () => {
    for (const timeoutMs of [0, -1, Number.POSITIVE_INFINITY, Number.NaN])
      refusedConfig(() => createKmsKeyring({ keyId: 'k', timeoutMs }));
  });

  it('Postcondition: KMS answers with a non-empty blob and a 32-byte plaintext', async () => {
    // The SDK accepts `{}` or any blob size from a server, so the keyring checks.
    const answering = (out: object) =>
      createKmsKeyring({ keyId: 'k', client: { send: async () => out } as unknown as KMSClient });
    const blob = new Uint8Array(100).fill(1);
    for (const out of [
      {},
      { Plaintext: new Uint8Array(16), CiphertextBlob: blob },
      { Plaintext: new Uint8Array(32), CiphertextBlob: new Uint8Array(0) },
    ]) {
      expect((await failsWith(answering(out).generateDataKey({ org_id: 'a' }), 'KEY_UNAVAILABLE')).message).toMatch(
        /malformed/,
      );
    }
    await failsWith(answering({ Plaintext: new Uint8Array(31) }).unwrap('k', blob, {}), 'KEY_UNAVAILABLE');
    await failsWith(answering({}).rewrap('k', blob, {}, 'j'), 'KEY_UNAVAILABLE');
  });
});
