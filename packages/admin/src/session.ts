import { useSyncExternalStore } from 'react';

/**
 * The bearer token lives in sessionStorage only: it ends with the tab, is never put in a URL,
 * and is never logged. Everything that needs it reads it here.
 */
const KEY = 'strongroom.token';
const listeners = new Set<() => void>();

export function sessionToken(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function signIn(token: string): void {
  sessionStorage.setItem(KEY, token);
  listeners.forEach((notify) => notify());
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  listeners.forEach((notify) => notify());
}

/** Re-renders when the user signs in or out. */
export function useSessionToken(): string | undefined {
  return useSyncExternalStore(
    (notify) => {
      listeners.add(notify);
      return () => listeners.delete(notify);
    },
    sessionToken,
  );
}
