import type { RouterOutputs } from '@strongroom/client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useIsAdmin } from '../../me';
import { useTRPC } from '../../trpc';
import { ConfirmDialog } from '../../ui/confirm';
import { Dialog } from '../../ui/dialog';
import { Badge, Loaded } from '../../ui/feedback';
import { useSecretNames } from '../secret-picker';
import { ProviderForm } from './provider-form';

type Provider = RouterOutputs['providers']['list'][number];
type Editing = { mode: 'create' } | { mode: 'edit'; provider: Provider } | { mode: 'delete'; provider: Provider };

export function ProvidersPage() {
  const trpc = useTRPC();
  const isAdmin = useIsAdmin();
  const providers = useQuery(trpc.providers.list.queryOptions());
  const secretName = useSecretNames();
  const [editing, setEditing] = useState<Editing | null>(null);
  const close = () => setEditing(null);
  return (
    <section aria-labelledby="providers-title">
      <div className="page-header">
        <h1 id="providers-title">Providers</h1>
        {isAdmin && (
          <button type="button" className="primary" onClick={() => setEditing({ mode: 'create' })}>
            New provider
          </button>
        )}
      </div>
      <p className="muted">
        Model providers reached through Cloudflare AI Gateway, each with its own key (a secret). Agents pick one.
      </p>
      <Loaded query={providers}>
        {(rows) =>
          rows.length === 0 ? (
            <p className="empty">
              No providers yet.{isAdmin ? ' Add one with “New provider”.' : ' An admin adds them.'}
            </p>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Gateway</th>
                    <th scope="col">Key</th>
                    {isAdmin && (
                      <th scope="col">
                        <span className="visually-hidden">Actions</span>
                      </th>
                    )}
                  </tr>
                </thead>
                <tbody>
                  {rows.map((provider) => (
                    <tr key={provider.id}>
                      <th scope="row">
                        {provider.name}{' '}
                        {provider.needsConfiguration && (
                          <Badge
                            tone="warn"
                            title="Migrated without a Cloudflare account or gateway: agents cannot run on it until an admin fills them in."
                          >
                            needs configuration
                          </Badge>
                        )}
                      </th>
                      <td>
                        <Badge>{provider.kind}</Badge>
                      </td>
                      <td>
                        {provider.providerType}{' '}
                        <span className="muted">
                          {provider.config.accountId ?? '?'}/{provider.config.gateway ?? '?'}
                        </span>
                      </td>
                      <td>{secretName(provider.secretRef) ?? <span className="muted">a secret</span>}</td>
                      {isAdmin && (
                        <td className="row-actions">
                          <button type="button" onClick={() => setEditing({ mode: 'edit', provider })}>
                            Edit
                          </button>
                          <button
                            type="button"
                            className="danger"
                            onClick={() => setEditing({ mode: 'delete', provider })}
                          >
                            Delete
                          </button>
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
      {editing?.mode === 'create' && (
        <Dialog title="New provider" onClose={close}>
          <ProviderForm onDone={close} />
        </Dialog>
      )}
      {editing?.mode === 'edit' && (
        <Dialog title={`Edit “${editing.provider.name}”`} onClose={close}>
          <ProviderForm provider={editing.provider} onDone={close} />
        </Dialog>
      )}
      {editing?.mode === 'delete' && <DeleteProviderDialog provider={editing.provider} onDone={close} />}
    </section>
  );
}

/** Delete is refused (CONFLICT, naming them) while agents use the provider; the dialog shows why. */
function DeleteProviderDialog(props: { provider: Provider; onDone: () => void }) {
  const trpc = useTRPC();
  const remove = useMutation(trpc.providers.delete.mutationOptions({ onSuccess: props.onDone }));
  return (
    <ConfirmDialog
      title={`Delete “${props.provider.name}”`}
      confirm="Delete provider"
      danger
      pending={remove.isPending}
      error={remove.error}
      onConfirm={() => remove.mutate({ id: props.provider.id })}
      onCancel={props.onDone}
    >
      <p>Agents that use this provider must be moved to another one first. The key secret is kept.</p>
    </ConfirmDialog>
  );
}
