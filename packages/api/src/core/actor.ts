import type { Role } from '@strongroom/db';

/** The identity provider's name for a person signed in with a JWT: `iss` and `sub`. */
export interface ExternalIdentity {
  readonly issuer: string;
  readonly subject: string;
}

/** A person acting through a user token, in the token's org, with their role there. */
export interface UserActor {
  readonly kind: 'user';
  readonly tokenId: string;
  readonly userId: string;
  readonly email: string;
  readonly orgId: string;
  readonly orgName: string;
  readonly role: Role;
  /** Set when the person signed in through a trusted identity provider (a JWT). */
  readonly identity?: ExternalIdentity;
}

/** The agents runtime acting through a worker token bound to one org. */
export interface WorkerActor {
  readonly kind: 'worker';
  readonly tokenId: string;
  readonly orgId: string;
}

export type Actor = UserActor | WorkerActor;

/** Who an audit row names, and the request it came from. */
export interface AuditActor {
  readonly orgId: string | null;
  readonly actorType: 'user' | 'worker' | 'system';
  readonly actorId: string | null;
  readonly requestId: string | null;
  /** Who the identity provider says acted, recorded with the row. */
  readonly identity?: ExternalIdentity;
}

/** The audit identity of an authenticated caller. */
export function auditActor(actor: Actor, requestId: string): AuditActor {
  return actor.kind === 'user'
    ? { orgId: actor.orgId, actorType: 'user', actorId: actor.userId, requestId, identity: actor.identity }
    : { orgId: actor.orgId, actorType: 'worker', actorId: actor.tokenId, requestId };
}

/** The audit identity of an operator command (CLI, start-up). */
export function systemActor(orgId: string | null): AuditActor {
  return { orgId, actorType: 'system', actorId: null, requestId: null };
}
