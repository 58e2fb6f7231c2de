import type { RouterOutputs } from '@strongroom/client';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { formErrors } from '../../errors';
import { useTRPC, useTRPCClient } from '../../trpc';
import { Field } from '../../ui/field';
import { Badge, CallError, ErrorMessage, When } from '../../ui/feedback';
import { useDebounced } from '../../ui/hooks';
import { usePages } from '../../ui/paging';
import { useMemberEmails } from '../members-page';
import { AUDIT_ACTIONS, type AuditAction } from './actions';

type AuditEvent = RouterOutputs['audit']['list']['items'][number];

const PAGE_SIZE = 50;

export function AuditPage() {
  const client = useTRPCClient();
  const emails = useMemberEmails();
  const [action, setAction] = useState<AuditAction | ''>('');
  const [targetId, setTargetId] = useState('');
  const [actorId, setActorId] = useState('');
  const [since, setSince] = useState('');
  const [showRuntime, setShowRuntime] = useState(false);
  const filters = {
    action: action || undefined,
    // The runtime's reads outnumber everything people do; they are hidden unless asked for (or filtered to).
    includeRuntime: showRuntime || action ? undefined : false,
    targetId: useDebounced(targetId.trim()) || undefined,
    actorId: actorId || undefined,
    since: since ? new Date(since).toISOString() : undefined,
    limit: PAGE_SIZE,
  };
  const log = usePages(['audit', filters], (cursor) => client.audit.list.query({ ...filters, cursor }));
  const errors = formErrors(log.error, ['action', 'targetId', 'actorId', 'since', 'includeRuntime']);
  const rows = log.items;
  return (
    <section aria-labelledby="audit-title">
      <div className="page-header">
        <h1 id="audit-title">Audit log</h1>
        <VerifyChain />
      </div>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <Field label="Action" error={errors.field('action')}>
          {(p) => (
            <select {...p} value={action} onChange={(e) => setAction(e.target.value as AuditAction | '')}>
              <option value="">any</option>
              {AUDIT_ACTIONS.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Target id" error={errors.field('targetId')}>
          {(p) => <input {...p} value={targetId} spellCheck={false} onChange={(e) => setTargetId(e.target.value)} />}
        </Field>
        <Field label="Actor" error={errors.field('actorId')}>
          {(p) => (
            <select {...p} value={actorId} onChange={(e) => setActorId(e.target.value)}>
              <option value="">anyone</option>
              {[...emails].map(([id, email]) => (
                <option key={id} value={id}>
                  {email}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Since" error={errors.field('since')}>
          {(p) => <input {...p} type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} />}
        </Field>
        <label className="toggle">
          <input type="checkbox" checked={showRuntime} onChange={(e) => setShowRuntime(e.target.checked)} /> Show
          runtime access
          <span className="hint">what the agents runtime read or used</span>
        </label>
      </form>
      {errors.form && <ErrorMessage>{errors.form}</ErrorMessage>}
      {log.isPending && (
        <p role="status" className="muted">
          Loading…
        </p>
      )}
      {log.isSuccess && rows.length === 0 && <p className="empty">No events match these filters.</p>}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table className="audit">
            <caption className="visually-hidden">Newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Actor</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id}>
                  <td>
                    <When iso={row.createdAt} precise />
                  </td>
                  <th scope="row">
                    <code>{row.action}</code>
                  </th>
                  <td>{actorOf(row, emails)}</td>
                  <td>
                    {row.targetType ?? ''}{' '}
                    {row.targetId && (
                      <button
                        type="button"
                        className="link"
                        title={`Show only events for ${row.targetId}`}
                        onClick={() => setTargetId(row.targetId!)}
                      >
                        {row.targetName ?? <code>{row.targetId.slice(0, 8)}</code>}
                      </button>
                    )}
                  </td>
                  <td>
                    <Details metadata={row.metadata} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {log.hasNextPage && (
        <button type="button" onClick={() => void log.fetchNextPage()} disabled={log.isFetchingNextPage}>
          {log.isFetchingNextPage ? 'Loading…' : 'Older events'}
        </button>
      )}
    </section>
  );
}

function actorOf(row: AuditEvent, emails: Map<string, string>) {
  if (row.actorId && emails.has(row.actorId)) return emails.get(row.actorId);
  return `${row.actorType}${row.actorId ? ` ${row.actorId.slice(0, 8)}…` : ''}`;
}

/** Audit metadata never holds a value, so all of it can be shown. */
function Details({ metadata }: { metadata: Record<string, unknown> }) {
  const entries = Object.entries(metadata).filter(([, v]) => v !== null && v !== undefined && v !== '');
  if (entries.length === 0) return null;
  return (
    <span className="details">
      {entries.map(([key, value]) => (
        <span key={key}>
          {key}={typeof value === 'string' ? value : JSON.stringify(value)}
        </span>
      ))}
    </span>
  );
}

/** Recomputes the org's hash chain on demand; a fresh check each click, never a cached answer. */
function VerifyChain() {
  const trpc = useTRPC();
  const verify = useQuery({ ...trpc.audit.verify.queryOptions(), enabled: false, gcTime: 0 });
  return (
    <div className="verify">
      <button type="button" onClick={() => void verify.refetch()} disabled={verify.isFetching}>
        {verify.isFetching ? 'Verifying…' : 'Verify chain'}
      </button>
      <span role="status">
        {verify.data &&
          !verify.isFetching &&
          (verify.data.ok ? (
            <Badge tone="ok">Chain intact · {verify.data.checked} events checked</Badge>
          ) : (
            <Badge tone="danger">Chain broken at event {verify.data.firstBrokenId}</Badge>
          ))}
      </span>
      <CallError error={verify.error} />
    </div>
  );
}
