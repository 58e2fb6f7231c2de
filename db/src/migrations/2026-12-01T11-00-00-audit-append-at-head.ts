import { type Kysely, sql } from 'kysely';

/**
 * `audit_append_at_head`: appends a group of precomputed audit rows to one chain only if the
 * chain's head is still the one they were MACed from, all in one statement and one round trip.
 * It takes the chain's advisory lock (the one every writer of the chain takes), then reads the
 * head: inside a function each statement has its own snapshot, so the head read after the lock
 * wait sees every row committed before it. When the head has moved (another instance or a
 * change's transaction wrote), it writes nothing and answers the current head, so the caller can
 * re-MAC its rows from it and call again: a read-only miss instead of a failed insert.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function audit_append_at_head(
      lock_key text, chain_org uuid, expected_seq integer, expected_hash text, row_key_id text,
      seqs integer[], actor_types text[], actor_ids uuid[], actions text[], target_types text[], target_ids text[],
      request_ids text[], metadatas text[], created_ats timestamptz[], prev_hashes text[], hashes text[]
    ) returns table (head_seq integer, head_hash text) language plpgsql as $$
    declare
      cur_seq integer;
      cur_hash text;
    begin
      perform pg_advisory_xact_lock(hashtextextended(lock_key, 0));
      select a.seq, a.hash into cur_seq, cur_hash from audit_log a
        where coalesce(a.org_id, '00000000-0000-0000-0000-000000000000'::uuid)
          = coalesce(chain_org, '00000000-0000-0000-0000-000000000000'::uuid)
        order by a.seq desc limit 1;
      cur_seq := coalesce(cur_seq, 0);
      cur_hash := coalesce(cur_hash, repeat('0', 64));
      if cur_seq <> expected_seq or cur_hash <> expected_hash then
        head_seq := cur_seq;
        head_hash := cur_hash;
        return next;
        return;
      end if;
      insert into audit_log (org_id, seq, actor_type, actor_id, action, target_type, target_id, request_id,
        metadata, created_at, prev_hash, hash, key_id)
      select chain_org, r.seq, r.actor_type, r.actor_id, r.action, r.target_type, r.target_id, r.request_id,
        r.metadata::jsonb, r.created_at, r.prev_hash, r.hash, row_key_id
      from unnest(seqs, actor_types, actor_ids, actions, target_types, target_ids, request_ids, metadatas,
        created_ats, prev_hashes, hashes)
        as r(seq, actor_type, actor_id, action, target_type, target_id, request_id, metadata, created_at, prev_hash, hash);
    end $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop function audit_append_at_head`.execute(db);
}
