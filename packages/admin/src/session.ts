import { useSyncExternalStore } from 'react';

/**
 * The bearer token lives in sessionStorage only: it ends with the tab, is never put in a URL,
 * and is never logged. Everything that needs it reads it here.
 */
const KEY = 'strongroom.token';
const listeners = new Set<() => void>();
/**
 * Why the last session ended, when it was not the user's choice; the sign-in page says so. Kept
 * beside the token, so the sign-in page still says it after a reload (a request of the page being
 * left can be the one that finds the token revoked).
 */
const ENDED_KEY = 'strongroom.ended';

export function sessionToken(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function signIn(token: string): void {
  sessionStorage.removeItem(ENDED_KEY);
  sessionStorage.setItem(KEY, token);
  listeners.forEach((notify) => notify());
}

export function signOut(reason?: string): void {
  if (reason) sessionStorage.setItem(ENDED_KEY, reason);
  else sessionStorage.removeItem(ENDED_KEY);
  sessionStorage.removeItem(KEY);
  listeners.forEach((notify) => notify());
}

/** Why the last session ended, if the user did not end it; cleared by the next sign-in. */
export function endedReason(): string | undefined {
  return sessionStorage.getItem(ENDED_KEY) ?? undefined;
}

/** Re-renders when the user signs in or out. */
export function useSessionToken(): string | undefined {
  return useSyncExternalStore((notify) => {
    listeners.add(notify);
    return () => listeners.delete(notify);
  }, sessionToken);
}
