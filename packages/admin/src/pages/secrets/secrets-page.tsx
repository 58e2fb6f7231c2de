import type { RouterOutputs } from '@strongroom/client';
import { useState } from 'react';
import { formErrors } from '../../errors';
import { Link, navigate } from '../../router';
import { useTRPCClient } from '../../trpc';
import { Dialog } from '../../ui/dialog';
import { Field } from '../../ui/field';
import { Badge, ErrorMessage, Masked, When } from '../../ui/feedback';
import { useDebounced } from '../../ui/hooks';
import { usePages } from '../../ui/paging';
import { UsedBy } from './used-by';
import { CreateSecretForm } from './secret-forms';

type Scope = RouterOutputs['secrets']['get']['scope'];

export function SecretsPage() {
  const client = useTRPCClient();
  const [search, setSearch] = useState('');
  const [namespace, setNamespace] = useState('');
  const [scope, setScope] = useState<Scope | ''>('');
  const [creating, setCreating] = useState(false);
  const filters = {
    search: useDebounced(search.trim()) || undefined,
    namespace: useDebounced(namespace.trim()) || undefined,
    scope: scope || undefined,
  };
  const list = usePages(['secrets', filters], (cursor) => client.secrets.list.query({ ...filters, cursor }));
  const errors = formErrors(list.error, ['search', 'namespace', 'scope']);
  const items = list.items;
  return (
    <section aria-labelledby="secrets-title">
      <div className="page-header">
        <h1 id="secrets-title">Secrets</h1>
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          New secret
        </button>
      </div>
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
                  </th>
                  <td>{secret.namespace}</td>
                  <td>
                    <Badge>{secret.scope}</Badge>
                  </td>
                  <td>
                    <Masked />
                  </td>
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
      {creating && (
        <Dialog title="New secret" onClose={() => setCreating(false)}>
          <CreateSecretForm
            onCreated={(secret) => navigate(`/secrets/${secret.id}`)}
            onCancel={() => setCreating(false)}
          />
        </Dialog>
      )}
    </section>
  );
}
