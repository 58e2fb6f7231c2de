import { randomBytes } from 'node:crypto';
import type { Storage } from '@strongroom/db';
import { sql } from 'kysely';

/** A distinctive value that must never show up anywhere but a reveal or a resolution. */
export function makeCanary(label = 'canary'): string {
  return `${label}-${randomBytes(12).toString('hex')}`;
}

/** The canary as text, and in the encodings a careless log or column might hold it. */
export function canaryForms(canary: string): string[] {
  const bytes = Buffer.from(canary, 'utf8');
  return [
    canary,
    bytes.toString('base64'),
    bytes.toString('base64url'),
    bytes.toString('hex'),
    encodeURIComponent(canary),
  ];
}

/** Which forms of the canary occur in `haystack` (empty when none). */
export function findCanary(haystack: string, canary: string): string[] {
  return canaryForms(canary).filter((form) => haystack.includes(form));
}

/** Every cell of every table in the public schema, text and bytes alike, as one searchable string. */
export async function dumpAllTables(storage: Storage): Promise<string> {
  const { rows: tables } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(storage.db);
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table_name)}`.execute(storage.db);
    for (const row of rows) {
      for (const cell of Object.values(row)) {
        if (cell instanceof Uint8Array)
          parts.push(Buffer.from(cell).toString('utf8'), Buffer.from(cell).toString('latin1'));
        else parts.push(typeof cell === 'string' ? cell : JSON.stringify(cell));
      }
    }
  }
  return parts.join('\n');
}
