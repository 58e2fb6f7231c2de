import { type Kysely, sql } from 'kysely';

/**
 * New audit rows get time-ordered ids (UUID version 7: 48 bits of Unix milliseconds, then random
 * bits). With random (version 4) ids every insert landed on a random leaf of the primary key's
 * index: at millions of rows each one dirtied a page nobody else was touching, which cost a
 * buffer read and, after every checkpoint, a full-page image in the WAL the audit commit waits
 * for. Time-ordered ids append at the index's right edge, like the other audit indexes. Existing
 * rows keep their ids; nothing reads an audit id's bits.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function audit_log_id() returns uuid language sql volatile as $$
      select encode(
        set_bit(set_bit(
          overlay(uuid_send(gen_random_uuid())
            placing substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
            from 1 for 6),
          52, 1), 53, 1),
        'hex')::uuid
    $$`.execute(db);
  await sql`alter table audit_log alter column id set default audit_log_id()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_log alter column id set default gen_random_uuid()`.execute(db);
  await sql`drop function audit_log_id`.execute(db);
}
