import { columnExists, type Database } from '@strongroom/db';
import { type Kysely, sql } from 'kysely';
import { AppError } from '../core/errors';

const ready = new WeakSet<object>();

/**
 * Whether the MCP OAuth migration has run. It comes after the legacy purge, which waits for the
 * MCP token backfill; until then the server runs on the schema before it, with bearer servers
 * only. Only `true` is remembered: once migrated, it stays so.
 * @example if (await oauthSchemaReady(deps.db)) { ... }
 */
export async function oauthSchemaReady(db: Kysely<Database>): Promise<boolean> {
  if (ready.has(db)) return true;
  const found = await columnExists(db, 'mcp_servers', 'auth');
  if (found) ready.add(db);
  return found;
}

/** PRECONDITION_FAILED naming the steps, for an OAuth request before the migration. */
export async function requireOAuthSchema(db: Kysely<Database>): Promise<void> {
  if (await oauthSchemaReady(db)) return;
  throw new AppError(
    'PRECONDITION_FAILED',
    'MCP OAuth needs the latest migrations, which wait for the MCP token backfill: run `strongroom backfill mcp-tokens`, `strongroom backfill verify`, then `strongroom migrate`',
    { reason: 'MIGRATION_PENDING' },
  );
}

/** An MCP server's auth kind, read so that it works before the migration too (`bearer` then). */
export const mcpAuthOf = sql<'bearer' | 'oauth'>`coalesce(to_jsonb(mcp_servers) ->> 'auth', 'bearer')`;
