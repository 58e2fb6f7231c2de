import type { StrongroomClient } from '@strongroom/client';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PAGE = 200;

/**
 * The secret called `name` in `namespace`, or undefined. Searches by name on the server and keeps
 * the exact match (the search also matches parts of names and descriptions).
 */
export async function findSecret(sr: StrongroomClient, namespace: string, name: string) {
  let cursor: string | undefined;
  do {
    const page = await sr.secrets.list.query({ namespace, search: name, limit: PAGE, ...(cursor ? { cursor } : {}) });
    const found = page.items.find((s) => s.name === name);
    if (found) return found;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return undefined;
}

/**
 * The id a command names: a UUID as it is, otherwise a secret name in `namespace`.
 * @example await secretId(sr, 'default', 'OPENAI_API_KEY')
 */
export async function secretId(sr: StrongroomClient, namespace: string, ref: string): Promise<string> {
  if (UUID.test(ref)) return ref;
  const found = await findSecret(sr, namespace, ref);
  if (!found) throw new Error(`no secret "${ref}" in namespace "${namespace}"`);
  return found.id;
}
