import { useSyncExternalStore } from 'react';

/**
 * The bearer token lives in sessionStorage only: it ends with the tab, is never put in a URL,
 * and is never logged. Everything that needs it reads it here.
 */
const KEY = 'strongroom.token';
const listeners = new Set<() => void>();
/** Why the last session ended, when it was not the user's choice; the sign-in page says so. */
let endedBecause: string | undefined;

export function sessionToken(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function signIn(token: string): void {
  endedBecause = undefined;
  sessionStorage.setItem(KEY, token);
  listeners.forEach((notify) => notify());
}

export function signOut(reason?: string): void {
  endedBecause = reason;
  sessionStorage.removeItem(KEY);
  listeners.forEach((notify) => notify());
}

/** Why the last session ended, if the user did not end it; cleared by the next sign-in. */
export function endedReason(): string | undefined {
  return endedBecause;
}

/** Re-renders when the user signs in or out. */
export function useSessionToken(): string | undefined {
  return useSyncExternalStore((notify) => {
    listeners.add(notify);
    return () => listeners.delete(notify);
  }, sessionToken);
}
