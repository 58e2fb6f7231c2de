import type { RouterOutputs } from '@strongroom/client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { formErrors, problemOf } from '../errors';
import { Link } from '../router';
import { useTRPC } from '../trpc';
import { ConfirmDialog } from '../ui/confirm';
import { Dialog } from '../ui/dialog';
import { Field } from '../ui/field';
import { Loaded, When } from '../ui/feedback';
import { FormActions, submitWith } from '../ui/form';

type Group = RouterOutputs['groups']['overview'][number];
type Granted = Group['secrets'][number];
type Editing = { mode: 'create' } | { mode: 'rename'; group: Group } | { mode: 'delete'; group: Group };

/** The org's groups (chats): what each may use at run time, and their names. Grants are made on a secret's page. */
export function GroupsPage() {
  const trpc = useTRPC();
  const groups = useQuery(trpc.groups.overview.queryOptions());
  const [editing, setEditing] = useState<Editing | null>(null);
  const close = () => setEditing(null);
  return (
    <section aria-labelledby="groups-title">
      <div className="page-header">
        <h1 id="groups-title">Groups</h1>
        <button type="button" className="primary" onClick={() => setEditing({ mode: 'create' })}>
          New group
        </button>
      </div>
      <p className="muted">
        A group is a chat. An org-scope secret is usable in a chat only when granted to its group, on the secret’s page.
      </p>
      <Loaded query={groups}>
        {(rows) =>
          rows.length === 0 ? (
            <p className="empty">No groups yet. Create one with “New group”.</p>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Secrets granted</th>
                    <th scope="col">Created</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((group) => (
                    <tr key={group.id}>
                      <th scope="row">
                        <strong>{group.name}</strong>
                      </th>
                      <td>
                        <SecretLinks secrets={group.secrets} />
                      </td>
                      <td>
                        <When iso={group.createdAt} />
                      </td>
                      <td className="row-actions">
                        <button type="button" onClick={() => setEditing({ mode: 'rename', group })}>
                          Rename
                        </button>
                        <button type="button" className="danger" onClick={() => setEditing({ mode: 'delete', group })}>
                          Delete
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
      {editing?.mode === 'create' && (
        <Dialog title="New group" onClose={close}>
          <GroupNameForm onDone={close} />
        </Dialog>
      )}
      {editing?.mode === 'rename' && (
        <Dialog title={`Rename “${editing.group.name}”`} onClose={close}>
          <GroupNameForm group={editing.group} onDone={close} />
        </Dialog>
      )}
      {editing?.mode === 'delete' && <DeleteGroupDialog group={editing.group} onDone={close} />}
    </section>
  );
}

function SecretLinks(props: { secrets: readonly Granted[] }) {
  if (props.secrets.length === 0) return <span className="muted">none</span>;
  return (
    <ul className="inline-list">
      {props.secrets.map((secret) => (
        <li key={secret.id}>
          <Link to={`/secrets/${secret.id}`}>
            {secret.namespace}/{secret.name}
          </Link>
        </li>
      ))}
    </ul>
  );
}

/** Create (no `group`) or rename a group. */
function GroupNameForm(props: { group?: Group; onDone: () => void }) {
  const trpc = useTRPC();
  const [name, setName] = useState(props.group?.name ?? '');
  const create = useMutation(trpc.groups.create.mutationOptions({ onSuccess: props.onDone }));
  const rename = useMutation(trpc.groups.rename.mutationOptions({ onSuccess: props.onDone }));
  const saving = props.group ? rename : create;
  const errors = formErrors(saving.error, ['name']);
  const submit = () => (props.group ? rename.mutate({ id: props.group.id, name }) : create.mutate({ name }));
  return (
    <form onSubmit={submitWith(submit)}>
      <Field label="Name" error={errors.field('name')} hint="As the chat is known, e.g. “support” or “sales-eu”.">
        {(p) => <input {...p} required autoFocus value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <FormActions
        error={errors.form}
        busy={saving.isPending}
        submit={props.group ? 'Rename' : 'Create group'}
        onCancel={props.onDone}
      />
    </form>
  );
}

/**
 * Delete is refused while secrets are granted to the group (the button is disabled and says so);
 * should a grant appear meanwhile, the server's CONFLICT names the secrets.
 */
function DeleteGroupDialog(props: { group: Group; onDone: () => void }) {
  const trpc = useTRPC();
  const remove = useMutation(trpc.groups.delete.mutationOptions({ onSuccess: props.onDone }));
  const problem = remove.error ? problemOf(remove.error) : undefined;
  const refused = problem?.code === 'CONFLICT' ? (problem.details?.secrets as Granted[] | undefined) : undefined;
  const granted = refused ?? props.group.secrets;
  return (
    <ConfirmDialog
      title={`Delete “${props.group.name}”`}
      confirm="Delete group"
      danger
      pending={remove.isPending}
      error={refused ? undefined : remove.error}
      blocked={granted.length > 0 ? 'Delete is disabled while secrets are granted to this group.' : undefined}
      onConfirm={() => remove.mutate({ id: props.group.id })}
      onCancel={props.onDone}
    >
      {granted.length > 0 ? (
        <div className="notice notice-warn">
          <p>
            Granted: <SecretLinks secrets={granted} />
          </p>
          <p>
            Remove those grants on each secret’s page first, so that taking access away is a choice made per secret.
          </p>
        </div>
      ) : (
        <p>The chat’s group is deleted. No secret is granted to it, so nothing loses access.</p>
      )}
    </ConfirmDialog>
  );
}
