import type { AppDeps } from '../app';

/**
 * Seals text under an encryption context, answering the envelope and the KEK id to store beside
 * it. Each kind of sealed value builds its own context (secrets: `secrets/store.ts`).
 */
export async function sealValue(
  deps: Pick<AppDeps, 'envelope'>,
  context: Record<string, string>,
  value: string,
): Promise<{ sealed: Uint8Array; kekId: string }> {
  const { sealed, keyId } = await deps.envelope.sealWithKeyId(Buffer.from(value, 'utf8'), context);
  return { sealed, kekId: keyId };
}

/** Opens a sealed value as text; the plaintext bytes are wiped once decoded. */
export async function openValue(
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
