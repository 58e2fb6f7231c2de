export type { CacheOptions } from './cache';
export { canonicalContext, type EncryptionContext } from './context';
export { createEnvelope, type Envelope, type EnvelopeOptions, type EnvelopeStats, type Sealed } from './envelope';
export { CryptoError, type CryptoErrorCode } from './errors';
export { type EnvelopeParts, FORMAT_VERSION, parse as parseEnvelope } from './format';
export type { DataKey, Keyring } from './keyring';
export { createKmsKeyring, type KmsKeyringOptions } from './kms-keyring';
export { createLocalKeyring, type LocalKeyringOptions } from './local-keyring';
