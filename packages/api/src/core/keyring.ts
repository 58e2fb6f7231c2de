import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  type Stats,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import {
  CryptoError,
  createEnvelope,
  createKmsKeyring,
  createLocalKeyring,
  type Envelope,
  type Keyring,
} from '@strongroom/crypto';
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

/**
 * Adds a new local KEK to the file and makes it primary for new seals; returns its id. The file is
 * replaced by a rename, so a running instance that re-reads it never sees half of it.
 */
export function addLocalKek(path: string): string {
  const file = loadKekFile(path);
  const { primaryKeyId, keys } = newKekFile();
  file.keys[primaryKeyId] = keys[primaryKeyId]!;
  file.primaryKeyId = primaryKeyId;
  const next = `${path}.${process.pid}.tmp`;
  writeFileSync(next, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  renameSync(next, path);
  return primaryKeyId;
}

/** How long /readyz keeps reporting a KEK that an envelope named and this process could not find. */
const MISSING_KEK_REPORT_MS = 60_000;

const stampOf = (st: Stats) => `${st.ino}:${st.size}:${st.mtimeMs}`;

/**
 * The local keyring of the KEK file, kept current without a restart: when an envelope names a KEK
 * it does not hold (another process ran `kek add` and `kek rotate`), it re-reads the file, but only
 * if the file changed since the last read (one stat per such call, so a burst of reads costs no
 * file parsing), and it picks up a new primary the same way when it makes a new data key (rare:
 * data keys are cached). A KEK still missing after that is KEY_UNAVAILABLE naming it, and
 * `check()` (so /readyz) reports it for a minute.
 * @example const keyring = openKekFileKeyring('/var/lib/strongroom/kek.json', log);
 */
export function openKekFileKeyring(path: string, log?: Logger): Keyring {
  const load = () => {
    const file = loadKekFile(path, log); // creates it on first start
    const stamp = stampOf(statSync(path));
    const keys = Object.fromEntries(Object.entries(file.keys).map(([id, b64]) => [id, Buffer.from(b64, 'base64')]));
    return {
      stamp,
      ids: new Set(Object.keys(keys)),
      keyring: createLocalKeyring({ keys, primaryKeyId: file.primaryKeyId }),
    };
  };
  let state = load();
  const missing = new Map<string, number>();

  /** Re-reads the file if it changed; a file that cannot be read now keeps the keys already held. */
  const refresh = () => {
    try {
      if (stampOf(statSync(path)) === state.stamp) return;
      state = load();
      log?.info({ kekFile: path, keks: [...state.ids], primary: state.keyring.primaryKeyId }, 're-read the KEK file');
    } catch (err) {
      log?.warn({ kekFile: path, err }, 'could not re-read the KEK file; keeping the keys already held');
    }
  };
  /** The keyring, re-read first if it lacks any of `keyIds`; a KEK still missing is remembered for /readyz. */
  const holding = (...keyIds: string[]) => {
    if (keyIds.some((id) => !state.ids.has(id))) refresh();
    for (const id of keyIds) {
      if (state.ids.has(id)) missing.delete(id);
      else missing.set(id, Date.now());
    }
    return state.keyring;
  };

  return Object.freeze({
    kind: 'local' as const,
    get primaryKeyId() {
      return state.keyring.primaryKeyId;
    },
    generateDataKey(kmsContext) {
      refresh();
      return state.keyring.generateDataKey(kmsContext);
    },
    unwrap: (keyId, wrapped, kmsContext) => holding(keyId).unwrap(keyId, wrapped, kmsContext),
    rewrap: (keyId, wrapped, kmsContext, toKeyId) =>
      holding(keyId, toKeyId).rewrap(keyId, wrapped, kmsContext, toKeyId),
    async check() {
      for (const [id, at] of missing) {
        if (Date.now() - at > MISSING_KEK_REPORT_MS || state.ids.has(id)) missing.delete(id);
        else throw new CryptoError('KEY_UNAVAILABLE', `KEK \`${id}\` is not held by this instance`, { keyId: id });
      }
    },
    canonicalKeyId: (keyId) => holding(keyId).canonicalKeyId(keyId),
  } satisfies Keyring);
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
  return openKekFileKeyring(config.kekFile, log);
}

/** Data keys are cached per org for `maxAgeMs` (default five minutes) or 10 000 uses. */
export function openEnvelope(keyring: Keyring, maxAgeMs: number): Envelope {
  return createEnvelope({
    keyring,
    cache: { maxAgeMs, maxUses: 10_000, maxEntries: 1_000 },
    kmsContextKeys: ['org_id'],
  });
}
