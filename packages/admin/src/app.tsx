import { QueryClientProvider } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { SignIn } from './pages/sign-in';
import { useSessionToken } from './session';
import { Shell } from './shell';
import { createConsoleClient, createQueryClient, TRPCProvider } from './trpc';

export function App() {
  const token = useSessionToken();
  const [queryClient] = useState(createQueryClient);
  const [trpcClient] = useState(createConsoleClient);
  // Nothing one session loaded may be shown to the next.
  useEffect(() => {
    if (!token) queryClient.clear();
  }, [token, queryClient]);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider queryClient={queryClient} trpcClient={trpcClient}>
        {token ? <Shell /> : <SignIn />}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
