import type { RouterOutputs } from '@strongroom/client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { formErrors } from '../errors';
import { useMe } from '../me';
import { useTRPC } from '../trpc';
import { ConfirmDialog } from '../ui/confirm';
import { ShownOnce } from '../ui/copy';
import { Dialog } from '../ui/dialog';
import { Field } from '../ui/field';
import { CallError, Loaded, When } from '../ui/feedback';
import { FormActions, submitWith } from '../ui/form';
import { TokenStatus } from './tokens-page';

type Member = RouterOutputs['members']['list'][number];
type Role = Member['role'];

/** user id → email, for pages that show who did something (admins only). */
export function useMemberEmails(): Map<string, string> {
  const trpc = useTRPC();
  const members = useQuery(trpc.members.list.queryOptions());
  return useMemo(() => new Map((members.data ?? []).map((m) => [m.userId, m.email])), [members.data]);
}

export function MembersPage() {
  const trpc = useTRPC();
  const members = useQuery(trpc.members.list.queryOptions());
  const [adding, setAdding] = useState(false);
  return (
    <section aria-labelledby="members-title">
      <div className="page-header">
        <h1 id="members-title">Members</h1>
        <button type="button" className="primary" onClick={() => setAdding(true)}>
          Add member
        </button>
      </div>
      <p className="muted">
        Admins manage everything in the org. Members pick providers and MCP servers for agents and see no secret values.
      </p>
      <Loaded query={members}>
        {(rows) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Since</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((member) => (
                  <MemberRow key={member.userId} member={member} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loaded>
      {adding && <AddMemberDialog onClose={() => setAdding(false)} />}
    </section>
  );
}

/** Role changes and removal, with the server's refusal (e.g. the last admin) shown on the row. */
function MemberRow({ member }: { member: Member }) {
  const trpc = useTRPC();
  const me = useMe();
  const [confirming, setConfirming] = useState(false);
  const [managing, setManaging] = useState(false);
  const setRole = useMutation(trpc.members.setRole.mutationOptions());
  const remove = useMutation(trpc.members.remove.mutationOptions({ onSuccess: () => setConfirming(false) }));
  const isMe = member.userId === me.user.id;
  return (
    <tr>
      <th scope="row">
        {member.email} {isMe && <span className="muted">(you)</span>}
      </th>
      <td>
        <select
          aria-label={`Role of ${member.email}`}
          value={member.role}
          disabled={setRole.isPending}
          onChange={(e) => setRole.mutate({ userId: member.userId, role: e.target.value as Role })}
        >
          <option value="admin">admin</option>
          <option value="member">member</option>
        </select>
        <CallError error={setRole.error} />
      </td>
      <td>
        <When iso={member.createdAt} />
      </td>
      <td className="row-actions">
        <button type="button" onClick={() => setManaging(true)}>
          Tokens…
        </button>
        <button type="button" className="danger" onClick={() => setConfirming(true)}>
          Remove
        </button>
        {managing && <MemberTokensDialog member={member} onClose={() => setManaging(false)} />}
        {confirming && (
          <ConfirmDialog
            title={`Remove ${member.email}`}
            confirm="Remove member"
            danger
            pending={remove.isPending}
            error={remove.error}
            onConfirm={() => remove.mutate({ userId: member.userId })}
            onCancel={() => setConfirming(false)}
          >
            <p>Their tokens stop working at once. What they created stays.</p>
          </ConfirmDialog>
        )}
      </td>
    </tr>
  );
}

function AddMemberDialog(props: { onClose: () => void }) {
  const trpc = useTRPC();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const add = useMutation(trpc.members.add.mutationOptions());
  const errors = formErrors(add.error, ['email', 'role']);
  return (
    <Dialog title="Add member" onClose={props.onClose}>
      {add.data ? (
        <>
          <ShownOnce value={add.data.token} what={`sign-in token for ${email}`} />
          <div className="actions">
            <button type="button" className="primary" onClick={props.onClose}>
              Done
            </button>
          </div>
        </>
      ) : (
        <form onSubmit={submitWith(() => add.mutate({ email, role }))}>
          <Field label="Email" error={errors.field('email')}>
            {(p) => (
              <input
                {...p}
                type="email"
                required
                autoComplete="off"
                value={email}
                onChange={(e) => setEmail(e.target.value)}
              />
            )}
          </Field>
          <Field label="Role" error={errors.field('role')}>
            {(p) => (
              <select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>
                <option value="member">member</option>
                <option value="admin">admin</option>
              </select>
            )}
          </Field>
          <FormActions error={errors.form} busy={add.isPending} submit="Add member" onCancel={props.onClose} />
        </form>
      )}
    </Dialog>
  );
}

/**
 * A member's tokens, each revocable, and a new one issued when theirs is lost (shown once,
 * optionally expiring): no need to remove and re-add the person.
 */
function MemberTokensDialog(props: { member: Member; onClose: () => void }) {
  const trpc = useTRPC();
  const tokens = useQuery(trpc.tokens.list.queryOptions());
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('');
  const issue = useMutation(trpc.members.issueToken.mutationOptions());
  const errors = formErrors(issue.error, ['name', 'expiresAt']);
  const submit = () =>
    issue.mutate({
      userId: props.member.userId,
      name: name.trim() || undefined,
      expiresAt: expires ? new Date(expires).toISOString() : undefined,
    });
  return (
    <Dialog title={`Tokens of ${props.member.email}`} onClose={props.onClose} wide>
      <Loaded query={tokens}>
        {(rows) => {
          const theirs = rows.filter((token) => token.userId === props.member.userId);
          return theirs.length === 0 ? (
            <p className="empty">No tokens.</p>
          ) : (
            <ul className="rows">
              {theirs.map((token) => (
                <li key={token.id}>
                  <strong>{token.name}</strong>
                  <code>{token.hint}</code>
                  <span className="muted">
                    expires <When iso={token.expiresAt} empty="never" />
                  </span>
                  <span className="push">
                    <TokenStatus token={token} />
                  </span>
                </li>
              ))}
            </ul>
          );
        }}
      </Loaded>
      <h3>Issue a new token</h3>
      {issue.data ? (
        <>
          <ShownOnce value={issue.data.token} what={`sign-in token for ${props.member.email}`} />
          <div className="actions">
            <button type="button" onClick={() => issue.reset()}>
              Issue another
            </button>
            <button type="button" className="primary" onClick={props.onClose}>
              Done
            </button>
          </div>
        </>
      ) : (
        <form onSubmit={submitWith(submit)}>
          <p className="muted">
            For a lost token: give them a new one here, then revoke the old one above. It acts as them, with their role.
          </p>
          <Field
            label="Name (optional)"
            error={errors.field('name')}
            hint={`Default: “token of ${props.member.email}”.`}
          >
            {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label="Expires (optional)" error={errors.field('expiresAt')}>
            {(p) => <input {...p} type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />}
          </Field>
          <FormActions error={errors.form} busy={issue.isPending} submit="Issue token" onCancel={props.onClose} />
        </form>
      )}
    </Dialog>
  );
}
