import type { ReactNode } from 'react';
import { problemOf } from '../errors';

/** An error in words, announced to screen readers when it appears. */
export function ErrorMessage(props: { children: ReactNode }) {
  return (
    <p className="error" role="alert">
      {props.children}
    </p>
  );
}

/** The failure of a call, or nothing. */
export function CallError(props: { error: unknown }) {
  return props.error ? <ErrorMessage>{problemOf(props.error).message}</ErrorMessage> : null;
}

/** Loading and failure of a query, then its content. */
export function Loaded<T>(props: {
  query: { data: T | undefined; error: unknown; isPending: boolean };
  children: (data: T) => ReactNode;
}) {
  if (props.query.error) return <CallError error={props.query.error} />;
  if (props.query.isPending || props.query.data === undefined)
    return (
      <p className="muted" role="status">
        Loading…
      </p>
    );
  return <>{props.children(props.query.data)}</>;
}

export function Badge(props: { tone?: 'neutral' | 'warn' | 'ok' | 'danger'; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${props.tone ?? 'neutral'}`} title={props.title}>
      {props.children}
    </span>
  );
}

/** Secret values are never in the page unless revealed: a fixed number of dots says nothing about length. */
export function Masked() {
  return (
    <span className="masked" aria-label="value hidden">
      ••••••••••••
    </span>
  );
}

const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const clockFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });
const preciseDayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'short' });
const preciseClockFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/**
 * A timestamp in the reader's locale; `precise` adds seconds, for the audit log. The day and the
 * clock are each kept whole, so a narrow column breaks the line between them and nowhere else.
 */
export function When(props: { iso: string | null | undefined; empty?: string; precise?: boolean }) {
  if (!props.iso) return <span className="muted">{props.empty ?? '—'}</span>;
  const at = new Date(props.iso);
  const [day, clock] = props.precise ? [preciseDayFormat, preciseClockFormat] : [dayFormat, clockFormat];
  return (
    <time dateTime={props.iso}>
      <span>{day.format(at)}</span> <span>{clock.format(at)}</span>
    </time>
  );
}
