import { useQuery } from '@tanstack/react-query';

export interface ConsoleConfig {
  /** How long a revealed value stays on screen before it is masked again. */
  revealSeconds: number;
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
