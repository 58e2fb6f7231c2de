import { type Kysely, sql } from 'kysely';

/**
 * Write-only secrets and rotation reminders. `revealable = false` makes a secret write-only: it
 * can still be set, rotated, rolled back and resolved by the runtime, but never revealed or
 * exported. The flag goes one way only; a trigger holds that even against a direct update, so a
 * value that was never readable can't become readable. `rotation_period_days` is a reminder
 * (null: none); nothing expires because of it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of [
    sql`alter table secrets add column revealable boolean not null default true,
      add column rotation_period_days integer check (rotation_period_days between 1 and 3650)`,
    sql`create function secrets_write_only_kept() returns trigger language plpgsql as $$
    begin
      raise exception 'a write-only secret cannot be made revealable again';
    end;
    $$`,
    sql`create trigger secrets_write_only_kept before update of revealable on secrets
      for each row when (old.revealable = false and new.revealable = true)
      execute function secrets_write_only_kept()`,
  ]) {
    await statement.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger secrets_write_only_kept on secrets`.execute(db);
  await sql`drop function secrets_write_only_kept()`.execute(db);
  await sql`alter table secrets drop column rotation_period_days, drop column revealable`.execute(db);
}
