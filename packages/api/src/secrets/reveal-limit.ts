import type { UserActor } from '../core/actor';
import type { AppDeps } from '../app';
import { consumeRateLimit } from '../core/rate-limit';

export const REVEAL_WINDOW_MS = 60_000;

/**
 * The reveal limit holds per person, not per token: minting more tokens must not raise it. Sending
 * a secret's value to a destination the caller picks (MCP validation) counts against it too.
 */
export const revealLimitKey = (actor: UserActor) => `reveal:user:${actor.userId}`;

/**
 * Counts one use against the caller's reveal limit; TOO_MANY_REQUESTS past it.
 * @example await countRevealUse(deps, actor); // before a value leaves for a URL from the request
 */
export const countRevealUse = (deps: Pick<AppDeps, 'db' | 'config'>, actor: UserActor) =>
  consumeRateLimit(deps.db, revealLimitKey(actor), deps.config.revealRateLimit, REVEAL_WINDOW_MS);
