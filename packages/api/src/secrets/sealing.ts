import type { AppDeps } from '../app';

/**
 * The context a secret value is sealed under. The envelope binds all of it into the GCM AAD and
 * only `org_id` into the KMS context, so a value copied to another row, org or version won't open.
 */
export function secretContext(orgId: string, secretId: string, version: number): Record<string, string> {
  return { org_id: orgId, secret_id: secretId, version: String(version) };
}

export async function sealSecretValue(
  deps: Pick<AppDeps, 'envelope'>,
  context: Record<string, string>,
  value: string,
): Promise<{ sealed: Uint8Array; kekId: string }> {
  const sealed = await deps.envelope.seal(Buffer.from(value, 'utf8'), context);
  return { sealed, kekId: deps.envelope.keyIdOf(sealed) };
}

export async function openSecretValue(
  deps: Pick<AppDeps, 'envelope'>,
  context: Record<string, string>,
  sealed: Uint8Array,
): Promise<string> {
  const plaintext = await deps.envelope.open(sealed, context);
  try {
    return Buffer.from(plaintext).toString('utf8');
  } finally {
    plaintext.fill(0);
  }
}
