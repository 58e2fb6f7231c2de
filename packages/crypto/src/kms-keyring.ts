import {
  DecryptCommand,
  DescribeKeyCommand,
  GenerateDataKeyCommand,
  KMSClient,
  type KMSClientConfig,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import type { EncryptionContext } from './context';
import { type CryptoError, decryptionFailed, invalidConfig, keyUnavailable } from './errors';
import { isKekId, KEY_BYTES } from './format';
import type { DataKey, Keyring } from './keyring';

export interface KmsKeyringOptions {
  /** The KEK: a key id, ARN or alias. */
  keyId: string;
  /** A ready client; when given, region/endpoint/credentials/timeouts are ignored. */
  client?: KMSClient;
  region?: string;
  /** A KMS-compatible endpoint (LocalStack, a test server). */
  endpoint?: string;
  credentials?: KMSClientConfig['credentials'];
  /** Attempts per call, retries included (default 3). */
  maxAttempts?: number;
  /** Per-attempt connect and response timeout in ms (default 2000). */
  timeoutMs?: number;
}

type Operation = 'GenerateDataKey' | 'Decrypt' | 'ReEncrypt' | 'DescribeKey';

/** KMS answers meaning the bytes, the context or the key named are wrong: retrying cannot help. */
const DECRYPTION_ERRORS = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);

function failure(operation: Operation, err: unknown): CryptoError {
  const name = err instanceof Error ? err.name : 'Error';
  if (DECRYPTION_ERRORS.has(name)) return decryptionFailed(err);
  // Decrypt's key id comes from the envelope: a key KMS has never heard of (a changed KEK id, or a
  // key deleted for good) will not appear on retry. Our own key missing elsewhere is a config or
  // availability problem, and /readyz (check) reports it.
  if (operation === 'Decrypt' && name === 'NotFoundException') return decryptionFailed(err);
  // Throttling, 5xx, timeouts, network errors, AccessDenied, disabled or pending-deletion keys: the
  // key service cannot serve us now. Only the error name is kept; no message, no key material.
  return keyUnavailable(`KMS ${operation} failed (${name}); retry later`, err);
}

function requireBytes(value: Uint8Array | undefined, operation: Operation, exact?: number): Uint8Array {
  // Postcondition: KMS answers with a non-empty blob and a 32-byte plaintext (the SDK checks neither).
  if (!(value instanceof Uint8Array) || value.length === 0 || (exact !== undefined && value.length !== exact)) {
    throw keyUnavailable(`KMS ${operation} returned a malformed response`);
  }
  return value;
}

/**
 * KEKs in AWS KMS or a KMS-compatible service: GenerateDataKey (AES_256), Decrypt and ReEncrypt,
 * with the KMS EncryptionContext, bounded retries and timeouts that really fire.
 * @example const keyring = createKmsKeyring({ keyId: 'alias/strongroom', region: 'eu-west-1' });
 */
export function createKmsKeyring(options: KmsKeyringOptions): Keyring {
  // Precondition: keyId is a KMS key id, ARN or alias of 1 to 255 bytes (it goes into envelopes).
  if (!isKekId(options?.keyId) || options.keyId.trim() === '') {
    throw invalidConfig('Expected `keyId` to be a non-empty KMS key id, ARN or alias');
  }
  // Precondition: an endpoint is a URL.
  if (options.endpoint !== undefined && !URL.canParse(options.endpoint)) {
    throw invalidConfig('Expected `endpoint` to be a URL such as http://127.0.0.1:4566');
  }
  const maxAttempts = options.maxAttempts ?? 3;
  // Precondition: maxAttempts is an integer from 1 to 10 (retries are bounded).
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 10) {
    throw invalidConfig('Expected `maxAttempts` to be an integer from 1 to 10');
  }
  const timeoutMs = options.timeoutMs ?? 2000;
  // Precondition: timeoutMs is a positive, finite number of milliseconds.
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    throw invalidConfig('Expected `timeoutMs` to be a positive number of milliseconds');
  }
  const client =
    options.client ??
    new KMSClient({
      ...(options.region ? { region: options.region } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      maxAttempts,
      requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true },
    });
  // A hard ceiling per call, retries and backoff included, in case a layer below ignores its timeout.
  const callBudgetMs = maxAttempts * timeoutMs + (maxAttempts - 1) * 2_000;
  const send = async <T>(
    operation: Operation,
    call: (options: { abortSignal: AbortSignal }) => Promise<T>,
  ): Promise<T> => {
    try {
      return await call({ abortSignal: AbortSignal.timeout(callBudgetMs) });
    } catch (err) {
      throw failure(operation, err);
    }
  };

  const describe = async (keyId: string) => {
    const out = await send('DescribeKey', (o) => client.send(new DescribeKeyCommand({ KeyId: keyId }), o));
    if (out.KeyMetadata?.Enabled === false) throw keyUnavailable('The KMS key is disabled');
    return { Arn: out.KeyMetadata?.Arn };
  };

  return Object.freeze({
    kind: 'kms' as const,
    primaryKeyId: options.keyId,
    async generateDataKey(kmsContext: EncryptionContext): Promise<DataKey> {
      const out = await send('GenerateDataKey', (o) =>
        client.send(
          new GenerateDataKeyCommand({
            KeyId: options.keyId,
            KeySpec: 'AES_256',
            EncryptionContext: { ...kmsContext },
          }),
          o,
        ),
      );
      return {
        // The envelope records the key as KMS names it (an ARN), which Decrypt accepts.
        keyId: out.KeyId ?? options.keyId,
        plaintext: requireBytes(out.Plaintext, 'GenerateDataKey', KEY_BYTES),
        wrapped: requireBytes(out.CiphertextBlob, 'GenerateDataKey'),
      };
    },
    async unwrap(keyId: string, wrapped: Uint8Array, kmsContext: EncryptionContext) {
      const out = await send('Decrypt', (o) =>
        client.send(
          new DecryptCommand({ KeyId: keyId, CiphertextBlob: wrapped, EncryptionContext: { ...kmsContext } }),
          o,
        ),
      );
      return requireBytes(out.Plaintext, 'Decrypt', KEY_BYTES);
    },
    async rewrap(keyId: string, wrapped: Uint8Array, kmsContext: EncryptionContext, toKeyId: string) {
      const out = await send('ReEncrypt', (o) =>
        client.send(
          new ReEncryptCommand({
            CiphertextBlob: wrapped,
            SourceKeyId: keyId,
            SourceEncryptionContext: { ...kmsContext },
            DestinationKeyId: toKeyId,
            DestinationEncryptionContext: { ...kmsContext },
          }),
          o,
        ),
      );
      return { keyId: out.KeyId ?? toKeyId, wrapped: requireBytes(out.CiphertextBlob, 'ReEncrypt') };
    },
    async check() {
      await describe(options.keyId);
    },
    async canonicalKeyId(keyId: string) {
      const arn = (await describe(keyId)).Arn;
      if (!arn) throw keyUnavailable('KMS DescribeKey returned no ARN');
      return arn;
    },
  });
}
