import type { RouterOutputs } from '@strongroom/client';
import { useState } from 'react';
import { formErrors } from '../../errors';
import { useMe } from '../../me';
import { Link, navigate } from '../../router';
import { useTRPCClient } from '../../trpc';
import { Dialog } from '../../ui/dialog';
import { Field } from '../../ui/field';
import { Badge, ErrorMessage, Masked, When } from '../../ui/feedback';
import { useDebounced } from '../../ui/hooks';
import { usePages } from '../../ui/paging';
import { ImportSecretsForm } from './import-secrets';
import { CreateSecretForm } from './secret-forms';
import { UsedBy } from './used-by';
import { RotationDueBadge, WriteOnlyBadge } from './write-only';

type Scope = RouterOutputs['secrets']['get']['scope'];

export function SecretsPage() {
  const client = useTRPCClient();
  const [search, setSearch] = useState('');
  const [namespace, setNamespace] = useState('');
  const [scope, setScope] = useState<Scope | ''>('');
  const [rotationDue, setRotationDue] = useState(false);
  const [dialog, setDialog] = useState<'create' | 'import' | null>(null);
  const dueCount = useMe().summary?.rotationDue ?? 0;
  const filters = {
    search: useDebounced(search.trim()) || undefined,
    namespace: useDebounced(namespace.trim()) || undefined,
    scope: scope || undefined,
    rotationDue: rotationDue || undefined,
  };
  const list = usePages(['secrets', filters], (cursor) => client.secrets.list.query({ ...filters, cursor }));
  const errors = formErrors(list.error, ['search', 'namespace', 'scope']);
  const items = list.items;
  return (
    <section aria-labelledby="secrets-title">
      <div className="page-header">
        <h1 id="secrets-title">Secrets</h1>
        <div className="actions">
          <button type="button" onClick={() => setDialog('import')}>
            Import…
          </button>
          <button type="button" className="primary" onClick={() => setDialog('create')}>
            New secret
          </button>
        </div>
      </div>
      {dueCount > 0 && !rotationDue && (
        <p className="notice notice-warn">
          {dueCount === 1 ? '1 secret is' : `${dueCount} secrets are`} past its rotation period.{' '}
          <button type="button" className="link" onClick={() => setRotationDue(true)}>
            Show {dueCount === 1 ? 'it' : 'them'}
          </button>
        </p>
      )}
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <Field label="Search names" error={errors.field('search')}>
          {(p) => <input {...p} type="search" value={search} onChange={(e) => setSearch(e.target.value)} />}
        </Field>
        <Field label="Namespace" error={errors.field('namespace')}>
          {(p) => <input {...p} value={namespace} placeholder="any" onChange={(e) => setNamespace(e.target.value)} />}
        </Field>
        <Field label="Scope">
          {(p) => (
            <select {...p} value={scope} onChange={(e) => setScope(e.target.value as Scope | '')}>
              <option value="">any</option>
              <option value="org">org</option>
              <option value="agent">agent</option>
            </select>
          )}
        </Field>
        <Field label="Rotation">
          {(p) => (
            <select {...p} value={rotationDue ? 'due' : ''} onChange={(e) => setRotationDue(e.target.value === 'due')}>
              <option value="">any</option>
              <option value="due">due</option>
            </select>
          )}
        </Field>
      </form>
      {errors.form && <ErrorMessage>{errors.form}</ErrorMessage>}
      {list.isPending && (
        <p role="status" className="muted">
          Loading…
        </p>
      )}
      {list.isSuccess && items.length === 0 && <p className="empty">No secrets match. Create one with “New secret”.</p>}
      {items.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Namespace</th>
                <th scope="col">Scope</th>
                <th scope="col">Value</th>
                <th scope="col">Version</th>
                <th scope="col">Updated</th>
                <th scope="col">Used by</th>
              </tr>
            </thead>
            <tbody>
              {items.map((secret) => (
                <tr key={secret.id}>
                  <th scope="row">
                    <Link to={`/secrets/${secret.id}`}>{secret.name}</Link>
                    {secret.rotationDue && <RotationDueBadge days={secret.rotationPeriodDays} />}
                  </th>
                  <td>{secret.namespace}</td>
                  <td>
                    <Badge>{secret.scope}</Badge>
                  </td>
                  <td>{secret.revealable ? <Masked /> : <WriteOnlyBadge />}</td>
                  <td>v{secret.version}</td>
                  <td>
                    <When iso={secret.updatedAt} />
                  </td>
                  <td>
                    <UsedBy refs={secret.usedBy} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.hasNextPage && (
        <button type="button" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      )}
      {dialog === 'create' && (
        <Dialog title="New secret" onClose={() => setDialog(null)}>
          <CreateSecretForm
            onCreated={(secret) => navigate(`/secrets/${secret.id}`)}
            onCancel={() => setDialog(null)}
          />
        </Dialog>
      )}
      {dialog === 'import' && (
        <Dialog title="Import secrets" wide onClose={() => setDialog(null)}>
          <ImportSecretsForm onDone={() => setDialog(null)} />
        </Dialog>
      )}
    </section>
  );
}
