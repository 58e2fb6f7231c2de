import { type AppRouter, createStrongroomClient, isStrongroomError } from '@strongroom/client';
import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { isApiAnswer } from './errors';
import { endSession } from './oidc';
import { sessionToken } from './session';

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

/** The console talks to the server that served it, with the token of this tab's session. */
export function createConsoleClient() {
  return createStrongroomClient({ url: window.location.origin, token: sessionToken });
}

/** A token that stops working (revoked, expired) ends the session instead of failing page by page. */
function endSessionIfUnauthorized(err: unknown) {
  if (isStrongroomError(err, 'UNAUTHORIZED'))
    endSession('Your session ended: the token is no longer valid (revoked, expired or removed).');
}

export function createQueryClient() {
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError: endSessionIfUnauthorized }),
    mutationCache: new MutationCache({
      onError: endSessionIfUnauthorized,
      // A change anywhere may show up anywhere (lists, used-by, the audit log): refetch what is on screen.
      onSuccess: () => client.invalidateQueries(),
    }),
    defaultOptions: {
      queries: {
        // An API answer (403, 404, 400) will not change on retry; a dropped connection might.
        retry: (failures, err) => !isApiAnswer(err) && failures < 2,
        refetchOnWindowFocus: false,
        staleTime: 5_000,
      },
    },
  });
  return client;
}
