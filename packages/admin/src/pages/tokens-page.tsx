import type { RouterOutputs } from '@strongroom/client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { formErrors } from '../errors';
import { useTRPC } from '../trpc';
import { ConfirmDialog } from '../ui/confirm';
import { ShownOnce } from '../ui/copy';
import { Dialog } from '../ui/dialog';
import { Field } from '../ui/field';
import { Badge, Loaded, When } from '../ui/feedback';
import { FormActions, submitWith } from '../ui/form';
import { useNow } from '../ui/hooks';

export type Token = RouterOutputs['tokens']['list'][number];

export function TokensPage() {
  const trpc = useTRPC();
  const tokens = useQuery(trpc.tokens.list.queryOptions());
  const [creating, setCreating] = useState(false);
  return (
    <section aria-labelledby="tokens-title">
      <div className="page-header">
        <h1 id="tokens-title">Tokens</h1>
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          New token
        </button>
      </div>
      <p className="muted">
        User tokens act as you with your role; worker tokens are for the agents runtime and may call only its internal
        procedures.
      </p>
      <Loaded query={tokens}>
        {(rows) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Token</th>
                  <th scope="col">Created</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((token) => (
                  <TokenRow key={token.id} token={token} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loaded>
      {creating && <CreateTokenDialog onClose={() => setCreating(false)} />}
    </section>
  );
}

function TokenRow({ token }: { token: Token }) {
  return (
    <tr>
      <th scope="row">{token.name}</th>
      <td>
        <Badge>{token.kind}</Badge>
      </td>
      <td>
        <code>{token.hint}</code>
      </td>
      <td>
        <When iso={token.createdAt} />
      </td>
      <td>
        <When iso={token.expiresAt} empty="never" />
      </td>
      <td>
        <When iso={token.lastUsedAt} empty="never" />
      </td>
      <td>
        <TokenStatus token={token} />
      </td>
    </tr>
  );
}

/** Revoked or expired (the server refuses it at sign-in either way), else a Revoke button that asks first. */
export function TokenStatus({ token }: { token: Token }) {
  const trpc = useTRPC();
  const now = useNow(false);
  const [confirming, setConfirming] = useState(false);
  const revoke = useMutation(trpc.tokens.revoke.mutationOptions({ onSuccess: () => setConfirming(false) }));
  if (token.revokedAt) return <Badge tone="danger">revoked</Badge>;
  if (token.expiresAt && Date.parse(token.expiresAt) <= now) return <Badge tone="warn">expired</Badge>;
  return (
    <>
      <button type="button" className="danger" onClick={() => setConfirming(true)}>
        Revoke
      </button>
      {confirming && (
        <ConfirmDialog
          title={`Revoke “${token.name}”`}
          confirm="Revoke token"
          danger
          pending={revoke.isPending}
          error={revoke.error}
          onConfirm={() => revoke.mutate({ id: token.id })}
          onCancel={() => setConfirming(false)}
        >
          <p>
            Whatever uses this token is refused from now on. If it is the token you signed in with, you are signed out.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

function CreateTokenDialog(props: { onClose: () => void }) {
  const trpc = useTRPC();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<Token['kind']>('user');
  const [expires, setExpires] = useState('');
  const create = useMutation(trpc.tokens.create.mutationOptions());
  const errors = formErrors(create.error, ['name', 'kind', 'expiresAt']);
  const expiresAt = expires ? new Date(expires).toISOString() : undefined;
  return (
    <Dialog title="New token" onClose={props.onClose}>
      {create.data ? (
        <>
          <ShownOnce value={create.data.token} what="token" />
          <div className="actions">
            <button type="button" className="primary" onClick={props.onClose}>
              Done
            </button>
          </div>
        </>
      ) : (
        <form onSubmit={submitWith(() => create.mutate({ name, kind, expiresAt }))}>
          <Field label="Name" error={errors.field('name')} hint="What the token is for, e.g. “ci” or “runtime-eu”.">
            {(p) => <input {...p} required value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label="Kind" error={errors.field('kind')}>
            {(p) => (
              <select {...p} value={kind} onChange={(e) => setKind(e.target.value as Token['kind'])}>
                <option value="user">user (acts as you)</option>
                <option value="worker">worker (agents runtime)</option>
              </select>
            )}
          </Field>
          <Field label="Expires (optional)" error={errors.field('expiresAt')}>
            {(p) => <input {...p} type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />}
          </Field>
          <FormActions error={errors.form} busy={create.isPending} submit="Create token" onCancel={props.onClose} />
        </form>
      )}
    </Dialog>
  );
}
