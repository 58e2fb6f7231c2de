import { createKmsKeyring, type KmsKeyringOptions } from '../../src/index';

/** The wire server and LocalStack accept any credentials; the SDK just needs some to sign with. */
export const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
export const ctx = { org_id: 'org-a', secret_id: 's', version: '1' };

/** A KMS keyring on a test endpoint, with a fresh client (the SDK's retry budget is per client). */
export const kmsKeyring = (endpoint: string, keyId: string, options: Partial<KmsKeyringOptions> = {}) =>
  createKmsKeyring({ keyId, endpoint, region: 'us-east-1', credentials, ...options });
