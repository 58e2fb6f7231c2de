import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createEnvelope, createKmsKeyring, createLocalKeyring, type Envelope, type Keyring } from '@strongroom/crypto';
import type { Logger } from 'pino';
import type { Config } from './config';

/** The local KEK file: 32-byte keys by id, one primary. Written once with mode 0600. */
interface KekFile {
  primaryKeyId: string;
  keys: Record<string, string>;
}

function newKekFile(): KekFile {
  const id = `local-${new Date().toISOString().slice(0, 10)}-${randomBytes(3).toString('hex')}`;
  return { primaryKeyId: id, keys: { [id]: randomBytes(32).toString('base64') } };
}

/** Reads the local KEK file, creating it on first start. */
export function loadKekFile(path: string, log?: Logger): KekFile {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, `${JSON.stringify(newKekFile(), null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
    log?.info({ kekFile: path }, 'created a local key-encryption key; back this file up with the data');
  }
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077)
    log?.warn({ kekFile: path, mode: mode.toString(8) }, 'the KEK file is readable by others; chmod 600 it');
  return JSON.parse(readFileSync(path, 'utf8')) as KekFile;
}

/** Adds a new local KEK to the file and makes it primary for new seals; returns its id. */
export function addLocalKek(path: string): string {
  const file = loadKekFile(path);
  const { primaryKeyId, keys } = newKekFile();
  file.keys[primaryKeyId] = keys[primaryKeyId]!;
  file.primaryKeyId = primaryKeyId;
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  return primaryKeyId;
}

/** AWS KMS (or any KMS-compatible endpoint) when KMS_KEY_ID is set; the local KEK file otherwise. */
export function openKeyring(config: Config, log?: Logger): Keyring {
  if (config.kms) {
    return createKmsKeyring({
      keyId: config.kms.keyId,
      region: config.kms.region,
      ...(config.kms.endpoint ? { endpoint: config.kms.endpoint } : {}),
    });
  }
  const file = loadKekFile(config.kekFile, log);
  const keys = Object.fromEntries(Object.entries(file.keys).map(([id, b64]) => [id, Buffer.from(b64, 'base64')]));
  return createLocalKeyring({ keys, primaryKeyId: file.primaryKeyId });
}

/** Data keys are cached per org for `maxAgeMs` (default five minutes) or 10 000 uses. */
export function openEnvelope(keyring: Keyring, maxAgeMs: number): Envelope {
  return createEnvelope({
    keyring,
    cache: { maxAgeMs, maxUses: 10_000, maxEntries: 1_000 },
    kmsContextKeys: ['org_id'],
  });
}
