import { createSecretKey, randomBytes } from 'node:crypto';
import { columnExists, type Database } from '@strongroom/db';
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { Envelope } from '@strongroom/crypto';
import { AppError } from '../core/errors';
import { type ChainKey, checkpointMac } from './chain';

/** The chain of rows with no org (platform events) shares the sequence space of this id. */
export const NO_ORG = '00000000-0000-0000-0000-000000000000';

/** The context an audit key is sealed under: platform-level, bound to the key's id. */
export function auditKeyContext(id: string): Record<string, string> {
  return { org_id: 'platform', secret_id: `audit-key:${id}`, version: '1' };
}

/**
 * The audit chain's HMAC keys as this process holds them: every key by id (to verify old rows)
 * and the one new rows are chained with. Loaded once the schema has the table; empty until then.
 */
export interface AuditKeys {
  /**
   * The key new rows are chained with; null while the schema predates keying (a migration before
   * it is blocked), when rows are chained unkeyed as before. Throws until `load` has run.
   */
  readonly current: ChainKey | null;
  byId(id: string): ChainKey | undefined;
  /** Opens every key (creating the first one on a new database). Idempotent. */
  load(): Promise<void>;
}

/**
 * The audit keys of a database, opened through the envelope. On first start the key is created
 * under an advisory lock (instances starting together create one), and every chain that already
 * has rows gets a `legacy` checkpoint at its head: its unkeyed rows stay verifiable as linked
 * SHA-256 up to there, and any unkeyed row after it is reported as broken (no downgrade). This is
 * what CloudTrail does when integrity validation is turned on: earlier files are simply not covered.
 * @example const keys = createAuditKeys(db, envelope, log); await keys.load(); keys.current;
 */
export function createAuditKeys(db: Kysely<Database>, envelope: Envelope, log: Logger): AuditKeys {
  const keys = new Map<string, ChainKey>();
  let loaded = false;
  let current: ChainKey | null = null;

  async function open(rows: { id: string; value: Uint8Array }[]) {
    for (const row of rows) {
      const raw = await envelope.open(row.value, auditKeyContext(row.id));
      keys.set(row.id, { id: row.id, secret: createSecretKey(raw) });
      raw.fill(0);
    }
  }

  async function create(): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtextextended('strongroom:audit-key', 0))`.execute(trx);
      if (await trx.selectFrom('audit_keys').select('id').limit(1).executeTakeFirst()) return;
      // Keyed rows without a key: the key row was removed by hand; minting a new key would bless a rewrite.
      const keyed = await trx
        .selectFrom('audit_log')
        .select('id')
        .where('key_id', 'is not', null)
        .limit(1)
        .executeTakeFirst();
      if (keyed) {
        throw new AppError(
          'INTERNAL_SERVER_ERROR',
          'audit_log has keyed rows but audit_keys has no key: restore it from a backup',
        );
      }
      const id = `ak-${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`;
      const raw = randomBytes(32);
      const key: ChainKey = { id, secret: createSecretKey(raw) };
      const { sealed, keyId } = await envelope.sealWithKeyId(raw, auditKeyContext(id));
      raw.fill(0);
      await trx.insertInto('audit_keys').values({ id, value: sealed, kek_id: keyId }).execute();
      const { rows: heads } = await sql<{ org_id: string | null; seq: number; hash: string }>`
        select distinct on (coalesce(org_id, '00000000-0000-0000-0000-000000000000'::uuid)) org_id, seq, hash
        from audit_log order by coalesce(org_id, '00000000-0000-0000-0000-000000000000'::uuid), seq desc`.execute(trx);
      if (heads.length) {
        await trx
          .insertInto('audit_checkpoints')
          .values(
            heads.map((h) => {
              const fields = { org_id: h.org_id, seq: h.seq, hash: h.hash, kind: 'legacy' as const };
              return { ...fields, key_id: id, mac: checkpointMac(key, fields) };
            }),
          )
          .execute();
      }
      log.info({ auditKey: id, legacyChains: heads.length }, 'created the audit chain key');
    });
  }

  return {
    get current() {
      if (!loaded) throw new AppError('INTERNAL_SERVER_ERROR', 'audit keys are not loaded yet');
      return current;
    },
    byId: (id) => keys.get(id),
    async load() {
      if (current) return;
      if (await columnExists(db, 'audit_log', 'key_id')) {
        if (!(await db.selectFrom('audit_keys').select('id').limit(1).executeTakeFirst())) await create();
        await open(await db.selectFrom('audit_keys').select(['id', 'value']).orderBy('created_at').execute());
        current = [...keys.values()].at(-1) ?? null;
      }
      loaded = true;
    },
  };
}
