import { EventEmitter } from 'node:events';
import type { Database, Storage } from '@strongroom/db';
import { sql, type Transaction } from 'kysely';

/** The one NOTIFY channel: every API instance listens on it with one dedicated connection. */
export const EVENTS_CHANNEL = 'strongroom_events';

/** A committed value change, as runtimes are told of it (ids and versions only). */
export interface SecretEvent {
  type: 'secret.changed' | 'secret.deleted';
  orgId: string;
  id: string;
  version: number;
}

/** A new version of a platform-level secret (e.g. the AI Gateway token): every org's runtimes use it. */
export interface InfraSecretEvent {
  type: 'infra_secret.changed';
  name: string;
  version: number;
}

/** Something that changes who a token acts as: revoked, member removed, role changed. */
export interface AuthEvent {
  type: 'auth.changed';
  tokenId?: string;
  orgId?: string;
  userId?: string;
}

/** Any audited change in an org: grants, agents, providers, MCP servers, secrets. Ends cached access decisions. */
export interface AccessEvent {
  type: 'access.changed';
  orgId: string;
}

export type HubEvent = SecretEvent | InfraSecretEvent | AuthEvent | AccessEvent;

/**
 * Queues an event in the caller's transaction. Postgres delivers NOTIFY only on commit, so no
 * instance hears of a change that rolled back, and none hears of it before it is visible.
 * @example await publish(trx, { type: 'secret.changed', orgId, id, version });
 */
export async function publish(trx: Transaction<Database>, event: HubEvent): Promise<void> {
  await sql`select pg_notify(${EVENTS_CHANNEL}, ${JSON.stringify(event)})`.execute(trx);
}

/**
 * Fans NOTIFY events out inside the process. When the LISTEN connection had to reconnect, events
 * may have been missed: `resync` tells subscribers to start over (SSE subscriptions end, so their
 * clients reconnect and re-check versions; caches drop everything).
 */
export function createEventHub(storage: Pick<Storage, 'listen'>) {
  const emitter = new EventEmitter().setMaxListeners(0);
  let stop: (() => Promise<void>) | undefined;
  const on = <T>(name: string, fn: (payload: T) => void) => {
    emitter.on(name, fn);
    return () => void emitter.off(name, fn);
  };
  return {
    async start(): Promise<void> {
      stop ??= await storage.listen(EVENTS_CHANNEL, {
        onMessage(payload) {
          let event: HubEvent;
          try {
            event = JSON.parse(payload) as HubEvent;
          } catch {
            return;
          }
          if (event.type === 'auth.changed') emitter.emit('auth', event);
          else if (event.type === 'access.changed') emitter.emit('access', event);
          else if (event.type === 'infra_secret.changed') emitter.emit('infra', event);
          else {
            emitter.emit(`secret:${event.orgId}`, event);
            emitter.emit('access', event);
          }
        },
        onReconnect: () => emitter.emit('resync'),
      });
    },
    async stop(): Promise<void> {
      await stop?.();
      stop = undefined;
    },
    /** Ends every subscription (their clients reconnect, to another instance when this one stops). */
    interrupt(): void {
      emitter.emit('resync');
    },
    onSecret: (orgId: string, fn: (event: SecretEvent) => void) => on(`secret:${orgId}`, fn),
    onInfra: (fn: (event: InfraSecretEvent) => void) => on('infra', fn),
    onAuth: (fn: (event: AuthEvent) => void) => on('auth', fn),
    /** Every org change that may alter an access decision: secret events and `access.changed`. */
    onAccess: (fn: (event: SecretEvent | AccessEvent) => void) => on('access', fn),
    onResync: (fn: () => void) => on('resync', fn),
  };
}

export type EventHub = ReturnType<typeof createEventHub>;
