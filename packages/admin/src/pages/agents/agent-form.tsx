import type { RouterInputs, RouterOutputs } from '@strongroom/client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { formErrors } from '../../errors';
import { useTRPC } from '../../trpc';
import { Field } from '../../ui/field';
import { CallError } from '../../ui/feedback';
import { FormActions, submitWith } from '../../ui/form';
import { providerLabel } from '../providers/label';

type Agent = RouterOutputs['agents']['list'][number];
type CreateInput = RouterInputs['agents']['create'];

const FIELDS = ['name', 'providerId', 'modelId', 'instructions', 'mcpServerIds'];

/** The model the runtime calls, as the server derives it: the provider's kind, a slash, the model id. */
const modelOf = (kind: string, modelId: string) => `${kind}/${modelId}`;

/** Create (no `agent`) or edit an agent; a provider from the catalog and a model id are required. */
export function AgentForm(props: { agent?: Agent; onDone: () => void }) {
  const trpc = useTRPC();
  const providers = useQuery(trpc.providers.list.queryOptions());
  const servers = useQuery(trpc.mcpServers.list.queryOptions());
  const [name, setName] = useState(props.agent?.name ?? '');
  const [providerId, setProviderId] = useState(props.agent?.providerId ?? '');
  const [modelId, setModelId] = useState(props.agent?.modelId ?? '');
  const [instructions, setInstructions] = useState(props.agent?.instructions ?? '');
  const [mcpServerIds, setMcpServerIds] = useState<string[]>(props.agent?.mcpServerIds ?? []);
  const create = useMutation(trpc.agents.create.mutationOptions({ onSuccess: props.onDone }));
  const update = useMutation(trpc.agents.update.mutationOptions({ onSuccess: props.onDone }));
  const saving = props.agent ? update : create;
  const errors = formErrors(saving.error, FIELDS);
  const provider = providers.data?.find((p) => p.id === providerId);
  const submit = () => {
    const input: CreateInput = { name, providerId, modelId, instructions, mcpServerIds };
    if (props.agent) update.mutate({ id: props.agent.id, ...input });
    else create.mutate(input);
  };
  const toggle = (id: string, on: boolean) =>
    setMcpServerIds((ids) => (on ? [...ids, id] : ids.filter((x) => x !== id)));
  return (
    <form onSubmit={submitWith(submit)}>
      <Field label="Name" error={errors.field('name')}>
        {(p) => <input {...p} required value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <CallError error={providers.error} />
      <Field
        label="Provider"
        error={errors.field('providerId')}
        hint={providers.data?.length === 0 ? 'No providers yet: an admin adds them on the Providers page.' : undefined}
      >
        {(p) => (
          <select {...p} required value={providerId} onChange={(e) => setProviderId(e.target.value)}>
            <option value="">choose a provider…</option>
            {providers.data?.map((option) => (
              <option key={option.id} value={option.id}>
                {providerLabel(option)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field
        label="Model id"
        error={errors.field('modelId')}
        hint="As the provider names it, e.g. gpt-5.2 or claude-sonnet-4.5."
      >
        {(p) => (
          <input {...p} required spellCheck={false} value={modelId} onChange={(e) => setModelId(e.target.value)} />
        )}
      </Field>
      <p className="model-preview" aria-live="polite">
        Model the runtime calls:{' '}
        {provider && modelId.trim() ? (
          <code data-testid="model-preview">{modelOf(provider.kind, modelId.trim())}</code>
        ) : (
          <span className="muted">pick a provider and a model</span>
        )}
      </p>
      <Field label="Instructions (optional)" error={errors.field('instructions')}>
        {(p) => <textarea {...p} rows={3} value={instructions} onChange={(e) => setInstructions(e.target.value)} />}
      </Field>
      <fieldset className="checks">
        <legend>MCP servers</legend>
        {servers.data?.length === 0 && <p className="muted">No MCP servers yet.</p>}
        {servers.data?.map((server) => (
          <label key={server.id}>
            <input
              type="checkbox"
              checked={mcpServerIds.includes(server.id)}
              onChange={(e) => toggle(server.id, e.target.checked)}
            />{' '}
            {server.name} <span className="muted">{server.url}</span>
          </label>
        ))}
        {errors.field('mcpServerIds') && (
          <p className="field-error" role="alert">
            {errors.field('mcpServerIds')}
          </p>
        )}
      </fieldset>
      <FormActions
        error={errors.form}
        busy={saving.isPending}
        submit={props.agent ? 'Save' : 'Create agent'}
        onCancel={props.onDone}
      />
    </form>
  );
}
