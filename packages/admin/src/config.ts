import { useQuery } from '@tanstack/react-query';

/** The identity provider the console signs people in with (authorization code + PKCE). */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  scopes: string;
  /** The API's resource indicator: the audience the access tokens are for. */
  resource: string;
}

export interface ConsoleConfig {
  /** How long a revealed value stays on screen before it is masked again. */
  revealSeconds: number;
  /** Null when the server trusts no identity provider: token sign-in only. */
  oidc: OidcSettings | null;
}

/** Settings the server hands the console (`/console/config.json`). */
export function useConsoleConfig() {
  return useQuery({
    queryKey: ['console-config'],
    staleTime: Infinity,
    queryFn: async (): Promise<ConsoleConfig> => {
      const res = await fetch('/console/config.json');
      if (!res.ok) throw new Error(`Console settings unavailable (HTTP ${res.status})`);
      return (await res.json()) as ConsoleConfig;
    },
  });
}
