import { QueryClientProvider, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { hasOidcSession, keepOidcSessionFresh } from './oidc';
import { SignIn } from './pages/sign-in';
import { useSessionToken } from './session';
import { Shell } from './shell';
import { createConsoleClient, createQueryClient, TRPCProvider } from './trpc';

export function App() {
  const [queryClient] = useState(createQueryClient);
  const [trpcClient] = useState(createConsoleClient);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider queryClient={queryClient} trpcClient={trpcClient}>
        <Session />
      </TRPCProvider>
    </QueryClientProvider>
  );
}

function Session() {
  const token = useSessionToken();
  const queryClient = useQueryClient();
  const signedIn = token !== undefined;
  const previous = useRef(token);
  useEffect(() => {
    if (previous.current === token) return;
    const signedOut = previous.current !== undefined && token === undefined;
    previous.current = token;
    // Nothing one session loaded may be shown to the next (the console's settings stay).
    if (signedOut) queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== 'console-config' });
    // A renewed token may carry another role: reload what is on screen with it.
    else void queryClient.invalidateQueries();
  }, [token, queryClient]);
  useEffect(() => (signedIn && hasOidcSession() ? keepOidcSessionFresh() : undefined), [signedIn]);
  return token ? <Shell /> : <SignIn />;
}
