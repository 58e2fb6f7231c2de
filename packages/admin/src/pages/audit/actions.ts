import type { RouterInputs } from '@strongroom/client';

export type AuditAction = NonNullable<Exclude<RouterInputs['audit']['list'], void>['action']>;

/** Every action the audit log records, for the filter; typed against the API so none is missing or made up. */
const ACTIONS: Record<AuditAction, true> = {
  'secret.create': true,
  'secret.update': true,
  'secret.rotate': true,
  'secret.delete': true,
  'secret.reveal': true,
  'secret.rollback': true,
  'secret.access': true,
  'secret.access_denied': true,
  'secret.use': true,
  'secret.seal_legacy': true,
  'secret.import': true,
  'secret.write_only': true,
  'grant.add': true,
  'grant.remove': true,
  'provider.create': true,
  'provider.update': true,
  'provider.delete': true,
  'mcp.create': true,
  'mcp.update': true,
  'mcp.delete': true,
  'mcp.validate': true,
  'mcp.oauth.connect': true,
  'mcp.oauth.refresh': true,
  'mcp.oauth.disconnect': true,
  'mcp.oauth.failed': true,
  'agent.create': true,
  'agent.update': true,
  'agent.delete': true,
  'token.create': true,
  'token.revoke': true,
  'member.add': true,
  'member.remove': true,
  'member.role': true,
  'group.create': true,
  'group.rename': true,
  'group.delete': true,
  'org.create': true,
  'infra_secret.set': true,
  'backfill.mcp_token': true,
  'kek.rewrap': true,
};

export const AUDIT_ACTIONS = Object.keys(ACTIONS) as AuditAction[];
