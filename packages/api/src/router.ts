import { agentsRouter } from './agents/router';
import { auditRouter } from './audit/router';
import { createCallerFactory, router } from './core/trpc';
import { grantsRouter } from './grants/router';
import { groupsRouter } from './groups/router';
import { health, me } from './health/router';
import { internalRouter } from './internal/router';
import { mcpServersRouter } from './mcp-servers/router';
import { membersRouter } from './members/router';
import { providersRouter } from './providers/router';
import { secretsRouter } from './secrets/router';
import { tokensRouter } from './tokens/router';

/** The whole API; `@strongroom/client` imports only its type. */
export const appRouter = router({
  health,
  me,
  secrets: secretsRouter,
  grants: grantsRouter,
  members: membersRouter,
  groups: groupsRouter,
  providers: providersRouter,
  agents: agentsRouter,
  mcpServers: mcpServersRouter,
  tokens: tokensRouter,
  audit: auditRouter,
  internal: internalRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
