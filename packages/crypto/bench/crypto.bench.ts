import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  buildClient,
  CommitmentPolicy,
  getLocalCryptographicMaterialsCache,
  NodeCachingMaterialsManager,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from '@aws-crypto/client-node';
import { type BenchRow, type BenchSection, opsPerSecond } from '../../../bench/lib';
import { createEnvelope, createLocalKeyring } from '../src/index';

const SIZES = [64, 1024, 32 * 1024];
const context = { org_id: '6f1c2b1e-4a77-4c1e-9a55-0b7e54b8a001', secret_id: '0d0c7d0e-2f6a-4b6f-8d0a-6a8b9d1c2e3f', version: '12' };

/** seal+open round trips per second for each contender at one value size. */
async function contenders(size: number) {
  const plaintext = randomBytes(size);
  const kek = randomBytes(32);
  const aad = Buffer.from(JSON.stringify(context));

  const floorKey = randomBytes(32);
  const floor = () => {
    const iv = randomBytes(12);
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
    { name: 'node:crypto AES-256-GCM encrypt+decrypt (floor)', fn: floor },
    { name: 'strongroom seal+open, warm cache', fn: ours(warm) },
    { name: 'strongroom seal+open, no cache', fn: ours(cold) },
    { name: 'AWS ESDK default suite, raw AES keyring', fn: esdk(esdkKeyring) },
    { name: 'AWS ESDK default suite, caching CMM', fn: esdk(cachingCmm) },
  ];
}

/** The crypto section: ours vs the AWS Encryption SDK vs bare AES-GCM, at three sizes. */
export async function runCryptoBench(): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  const checks: NonNullable<BenchSection['checks']> = [];
  for (const size of SIZES) {
    const measured: { name: string; ops: number }[] = [];
    for (const c of await contenders(size)) measured.push({ name: c.name, ops: await opsPerSecond(c.fn, 1_500) });
    const floorOps = measured[0]!.ops;
    for (const m of measured) rows.push({ case: `${m.name}, ${size} B`, opsPerSec: m.ops, ratio: m.ops / floorOps });
    if (size === 1024) {
      const warm = measured[1]!.ops;
      const esdkCached = measured[4]!.ops;
      checks.push(
        { target: 'warm seal+open at 1 KiB within 1.5× of the floor', met: floorOps / warm <= 1.5, value: `${(floorOps / warm).toFixed(2)}×` },
        { target: 'warm seal+open at 1 KiB ≥ 100× the ESDK with caching', met: warm / esdkCached >= 100, value: `${(warm / esdkCached).toFixed(0)}×` },
      );
    }
  }
  return { name: 'Crypto', baseline: 'node:crypto AES-256-GCM encrypt+decrypt of the same size, same run', rows, checks };
}
