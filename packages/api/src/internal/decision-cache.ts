import type { Storage } from '@strongroom/db';
import type { EventHub } from '../core/event-hub';
import { decide, type ResolutionRequest } from './access';

/** A cached decision is trusted this long at most; change events end it sooner. */
const MAX_AGE_MS = 10_000;
const MAX_ENTRIES = 10_000;

type Resolution = Awaited<ReturnType<typeof decide>>;

interface OrgEntries {
  /** Bumped by every invalidation: a decision read before it is not stored after it. */
  generation: number;
  entries: Map<string, { resolution: Resolution; until: number }>;
}

/**
 * Allowed run-time decisions, with the secret's version and envelope, per (org, secret, agent,
 * chat), so a repeated resolve skips the decision query. Any audited change in the org, any
 * secret event of the org (both published on commit, to every instance) and a LISTEN reconnect
 * drop the org's entries (and `forgetOrg`, at once, for a mutation of this process); denials are
 * never cached. The value is opened on every call.
 * @example const { secret, decision } = await decisions.decide(storage, req);
 */
export function createDecisionCache(events: Pick<EventHub, 'onAccess' | 'onResync'>) {
  const orgs = new Map<string, OrgEntries>();
  let size = 0;
  const drop = (org: OrgEntries) => {
    size -= org.entries.size;
    org.entries.clear();
    org.generation++;
  };
  events.onAccess((event) => {
    const org = orgs.get(event.orgId);
    if (org) drop(org);
  });
  events.onResync(() => orgs.forEach(drop));

  return {
    /** Drops the org's entries now, for a change this process has just committed. */
    forgetOrg(orgId: string): void {
      const org = orgs.get(orgId);
      if (org) drop(org);
    },
    async decide(storage: Pick<Storage, 'query'>, req: ResolutionRequest): Promise<Resolution> {
      let org = orgs.get(req.orgId);
      if (!org) orgs.set(req.orgId, (org = { generation: 0, entries: new Map() }));
      const key = `${req.secretId}/${req.agentId}/${req.chatId ?? ''}`;
      const now = Date.now();
      const hit = org.entries.get(key);
      if (hit && hit.until > now) return hit.resolution;
      const generation = org.generation;
      const resolution = await decide(storage, req);
      if (resolution.decision.allowed && org.generation === generation) {
        if (size >= MAX_ENTRIES) orgs.forEach(drop);
        if (!org.entries.has(key)) size++;
        org.entries.set(key, { resolution, until: now + MAX_AGE_MS });
      }
      return resolution;
    },
  };
}

export type DecisionCache = ReturnType<typeof createDecisionCache>;
