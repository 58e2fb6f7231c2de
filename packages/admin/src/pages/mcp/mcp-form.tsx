import type { RouterOutputs } from '@strongroom/client';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { formErrors } from '../../errors';
import { useTRPC } from '../../trpc';
import { Field } from '../../ui/field';
import { FormActions, submitWith } from '../../ui/form';
import { SecretPicker } from '../secret-picker';
import { ValidateButton } from './validate';

type McpServer = RouterOutputs['mcpServers']['list'][number];

/** Add (no `server`) or edit an MCP server; its bearer token is a secret picked by name. */
export function McpServerForm(props: { server?: McpServer; onDone: () => void }) {
  const trpc = useTRPC();
  const [name, setName] = useState(props.server?.name ?? '');
  const [url, setUrl] = useState(props.server?.url ?? '');
  const [secretRef, setSecretRef] = useState(props.server?.secretRef ?? '');
  const create = useMutation(trpc.mcpServers.create.mutationOptions({ onSuccess: props.onDone }));
  const update = useMutation(trpc.mcpServers.update.mutationOptions({ onSuccess: props.onDone }));
  const saving = props.server ? update : create;
  const errors = formErrors(saving.error, ['name', 'url', 'secretRef']);
  const submit = () =>
    props.server
      ? update.mutate({ id: props.server.id, name, url, secretRef: secretRef || null })
      : create.mutate({ name, url, secretRef: secretRef || undefined });
  return (
    <form onSubmit={submitWith(submit)}>
      <Field label="Name" error={errors.field('name')}>
        {(p) => <input {...p} required value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field
        label="URL"
        error={errors.field('url')}
        hint="The server's Streamable HTTP endpoint, e.g. https://mcp.example.com/mcp"
      >
        {(p) => (
          <input {...p} type="url" required spellCheck={false} value={url} onChange={(e) => setUrl(e.target.value)} />
        )}
      </Field>
      <SecretPicker
        label="Bearer token"
        optional
        value={secretRef}
        onChange={setSecretRef}
        error={errors.field('secretRef')}
      />
      <ValidateButton input={{ url, secretRef: secretRef || undefined }} disabled={!url} />
      <FormActions
        error={errors.form}
        busy={saving.isPending}
        submit={props.server ? 'Save' : 'Add MCP server'}
        onCancel={props.onDone}
      />
    </form>
  );
}
