import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  buildClient,
  CommitmentPolicy,
  getLocalCryptographicMaterialsCache,
  NodeCachingMaterialsManager,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from '@aws-crypto/client-node';
import { type BenchRow, type BenchSection, sideBySide } from '../../../bench/lib';
import { randomIv } from '../src/format';
import { createEnvelope, createLocalKeyring } from '../src/index';

const SIZES = [64, 1024, 32 * 1024];
const context = {
  org_id: '6f1c2b1e-4a77-4c1e-9a55-0b7e54b8a001',
  secret_id: '0d0c7d0e-2f6a-4b6f-8d0a-6a8b9d1c2e3f',
  version: '12',
};

/** The contenders at one value size, each one seal+open (or encrypt+decrypt) round trip per call. */
async function contenders(size: number) {
  const plaintext = randomBytes(size);
  const kek = randomBytes(32);
  const aad = Buffer.from(JSON.stringify(context));

  const floorKey = randomBytes(32);
  /** Plain node:crypto: encrypt then decrypt, with a fresh IV from `newIv`. */
  const gcm = (newIv: () => Buffer) => () => {
    const iv = newIv();
    const c = createCipheriv('aes-256-gcm', floorKey, iv).setAAD(aad);
    const ct = Buffer.concat([c.update(plaintext), c.final()]);
    const d = createDecipheriv('aes-256-gcm', floorKey, iv).setAAD(aad);
    d.setAuthTag(c.getAuthTag());
    return Buffer.concat([d.update(ct), d.final()]);
  };

  const keyring = createLocalKeyring({ keys: { k: kek }, primaryKeyId: 'k' });
  const warm = createEnvelope({ keyring, cache: { maxAgeMs: 300_000, maxUses: 1e9 }, kmsContextKeys: ['org_id'] });
  const cold = createEnvelope({ keyring, cache: false, kmsContextKeys: ['org_id'] });
  const ours = (env: typeof warm) => async () => env.open(await env.seal(plaintext, context), context);

  const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const esdkKeyring = new RawAesKeyringNode({
    keyName: 'k',
    keyNamespace: 'bench',
    unencryptedMasterKey: new Uint8Array(kek),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  const cachingCmm = new NodeCachingMaterialsManager({
    backingMaterials: esdkKeyring,
    cache: getLocalCryptographicMaterialsCache(100),
    maxAge: 300_000,
    maxMessagesEncrypted: 1e6,
    partition: 'bench',
  });
  const esdk = (cmm: typeof esdkKeyring | typeof cachingCmm) => async () => {
    const { result } = await encrypt(cmm, plaintext, { encryptionContext: context });
    return decrypt(cmm, result);
  };

  return [
    { name: 'node:crypto AES-256-GCM encrypt+decrypt (floor)', fn: gcm(() => randomBytes(12)) },
    // A stricter reference: the same, with IVs drawn from a pooled CSPRNG buffer as `seal` does.
    { name: 'node:crypto AES-256-GCM, pooled IVs', fn: gcm(randomIv) },
    { name: 'strongroom seal+open, warm cache', fn: ours(warm) },
    { name: 'strongroom seal+open, no cache', fn: ours(cold) },
    { name: 'AWS ESDK default suite, raw AES keyring', fn: esdk(esdkKeyring) },
    { name: 'AWS ESDK default suite, caching CMM', fn: esdk(cachingCmm) },
  ];
}

/** The crypto section: ours vs the AWS Encryption SDK vs bare AES-GCM, at three sizes, measured side by side. */
export async function runCryptoBench(): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  const checks: NonNullable<BenchSection['checks']> = [];
  for (const size of SIZES) {
    const measured = await sideBySide(await contenders(size), { rounds: 5, msPerRound: 300 });
    const floorOps = measured[0]!.opsPerSec;
    for (const m of measured) {
      rows.push({
        case: `${m.name}, ${size} B`,
        opsPerSec: m.opsPerSec,
        p50Us: m.p50Us,
        p99Us: m.p99Us,
        ratio: m.opsPerSec / floorOps,
      });
    }
    if (size === 1024) {
      const byName = (prefix: string) => measured.find((m) => m.name.startsWith(prefix))!.opsPerSec;
      const warm = byName('strongroom seal+open, warm cache');
      const esdkCached = byName('AWS ESDK default suite, caching CMM');
      checks.push(
        {
          target: 'warm seal+open at 1 KiB within 1.5× of the floor',
          met: floorOps / warm <= 1.5,
          value: `${(floorOps / warm).toFixed(2)}×`,
        },
        {
          target: 'warm seal+open at 1 KiB ≥ 100× the ESDK with caching',
          met: warm / esdkCached >= 100,
          value: `${(warm / esdkCached).toFixed(0)}×`,
        },
      );
    }
  }
  return {
    name: 'Crypto',
    baseline:
      'node:crypto AES-256-GCM encrypt+decrypt of the same size (random IV, fixed key and AAD), same run, interleaved rounds',
    rows,
    checks,
  };
}
