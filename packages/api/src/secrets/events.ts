import type { Database } from '@strongroom/db';
import { sql, type Transaction } from 'kysely';

/** The NOTIFY channel every API instance listens on for value changes. */
export const SECRET_EVENTS_CHANNEL = 'strongroom_secret_events';

export interface SecretEvent {
  type: 'secret.changed' | 'secret.deleted';
  orgId: string;
  id: string;
  version: number;
}

/**
 * Queues a change notice in the caller's transaction: Postgres delivers NOTIFY only on commit,
 * so listeners never hear of a change that rolled back. The payload carries ids and versions only.
 */
export async function notifySecretEvent(trx: Transaction<Database>, event: SecretEvent): Promise<void> {
  await sql`select pg_notify(${SECRET_EVENTS_CHANNEL}, ${JSON.stringify(event)})`.execute(trx);
}
