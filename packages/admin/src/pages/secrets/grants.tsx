import type { RouterOutputs } from '@strongroom/client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { formErrors } from '../../errors';
import { useTRPC } from '../../trpc';
import { Field } from '../../ui/field';
import { CallError, Loaded, When } from '../../ui/feedback';
import { FormActions, submitWith } from '../../ui/form';

type SecretMeta = RouterOutputs['secrets']['get'];
type GranteeType = RouterOutputs['grants']['list'][number]['granteeType'];

/** Names for grantee ids: the org's groups (chats) and agents. */
function useGrantees() {
  const trpc = useTRPC();
  const groups = useQuery(trpc.groups.list.queryOptions());
  const agents = useQuery(trpc.agents.list.queryOptions());
  return {
    group: groups.data ?? [],
    agent: agents.data ?? [],
    error: groups.error ?? agents.error,
  } satisfies Record<GranteeType, { id: string; name: string }[]> & { error: unknown };
}

/** Which chats (groups) and agents may use an org-scope secret at run time. */
export function GrantsPanel(props: { secret: SecretMeta }) {
  const trpc = useTRPC();
  const grants = useQuery(trpc.grants.list.queryOptions({ secretId: props.secret.id }));
  const grantees = useGrantees();
  const remove = useMutation(trpc.grants.remove.mutationOptions());
  const nameOf = (type: GranteeType, id: string) => grantees[type].find((g) => g.id === id)?.name ?? id;
  return (
    <section aria-labelledby="grants-title" className="panel">
      <h2 id="grants-title">Grants</h2>
      <p className="muted">
        {props.secret.scope === 'org'
          ? 'An org-scope secret is usable only by the chats and agents granted here.'
          : 'An agent-scope secret is usable by every agent of the org; grants add nothing to that.'}
      </p>
      <CallError error={grantees.error} />
      <Loaded query={grants}>
        {(rows) =>
          rows.length === 0 ? (
            props.secret.scope === 'org' && <p className="empty">No grants yet.</p>
          ) : (
            <ul className="rows">
              {rows.map((grant) => (
                <li key={`${grant.granteeType}:${grant.granteeId}`}>
                  <span>
                    {grant.granteeType === 'group' ? 'Chat' : 'Agent'}{' '}
                    <strong>{nameOf(grant.granteeType, grant.granteeId)}</strong>
                  </span>
                  <span className="muted">
                    since <When iso={grant.createdAt} />
                  </span>
                  <button
                    type="button"
                    disabled={remove.isPending}
                    onClick={() =>
                      remove.mutate({
                        secretId: props.secret.id,
                        granteeType: grant.granteeType,
                        granteeId: grant.granteeId,
                      })
                    }
                  >
                    Remove
                  </button>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
      <CallError error={remove.error} />
      {/* The server refuses grants on agent-scope secrets: offer no form for them. */}
      {props.secret.scope === 'org' && <AddGrantForm secretId={props.secret.id} grantees={grantees} />}
    </section>
  );
}

function AddGrantForm(props: { secretId: string; grantees: ReturnType<typeof useGrantees> }) {
  const trpc = useTRPC();
  const [granteeType, setGranteeType] = useState<GranteeType>('group');
  const [granteeId, setGranteeId] = useState('');
  const add = useMutation(trpc.grants.add.mutationOptions({ onSuccess: () => setGranteeId('') }));
  const errors = formErrors(add.error, ['granteeType', 'granteeId']);
  const choices = props.grantees[granteeType];
  return (
    <form
      className="inline-form"
      onSubmit={submitWith(() => add.mutate({ secretId: props.secretId, granteeType, granteeId }))}
    >
      <Field label="Grant to" error={errors.field('granteeType')}>
        {(p) => (
          <select
            {...p}
            value={granteeType}
            onChange={(e) => {
              setGranteeType(e.target.value as GranteeType);
              setGranteeId('');
            }}
          >
            <option value="group">a chat (group)</option>
            <option value="agent">an agent</option>
          </select>
        )}
      </Field>
      <Field label={granteeType === 'group' ? 'Chat' : 'Agent'} error={errors.field('granteeId')}>
        {(p) => (
          <select {...p} required value={granteeId} onChange={(e) => setGranteeId(e.target.value)}>
            <option value="">
              {choices.length ? 'choose…' : `no ${granteeType === 'group' ? 'chats' : 'agents'} yet`}
            </option>
            {choices.map((choice) => (
              <option key={choice.id} value={choice.id}>
                {choice.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <FormActions error={errors.form} busy={add.isPending} submit="Add grant" />
    </form>
  );
}
