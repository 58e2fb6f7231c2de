import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react';

/** Client-side routes as plain paths; the server answers every page path with index.html. */
const listeners = new Set<() => void>();
const notify = () => listeners.forEach((listener) => listener());
window.addEventListener('popstate', notify);

export function navigate(path: string): void {
  if (path === window.location.pathname) return;
  window.history.pushState(null, '', path);
  notify();
}

export function usePath(): string {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => window.location.pathname,
  );
}

/** A real link (it opens in a new tab, it can be copied) that navigates in place on a plain click. */
export function Link({
  to,
  current,
  ...rest
}: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string; current?: boolean }) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a {...rest} href={to} onClick={onClick} aria-current={current ? 'page' : undefined} />;
}
