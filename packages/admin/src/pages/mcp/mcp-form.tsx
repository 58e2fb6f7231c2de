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

/**
 * Add (no `server`) or edit an MCP server: a bearer token (a secret picked by name) or OAuth 2.1
 * sign-in (scopes and an optional pre-registered client; Connect on the card signs it in).
 */
export function McpServerForm(props: { server?: McpServer; onDone: () => void }) {
  const trpc = useTRPC();
  const [name, setName] = useState(props.server?.name ?? '');
  const [url, setUrl] = useState(props.server?.url ?? '');
  const [secretRef, setSecretRef] = useState(props.server?.secretRef ?? '');
  const [useOAuth, setUseOAuth] = useState(props.server?.auth === 'oauth');
  const [scopes, setScopes] = useState(props.server?.oauth?.requestedScopes?.join(' ') ?? '');
  const [clientId, setClientId] = useState(props.server?.oauth?.clientId ?? '');
  const [clientSecretRef, setClientSecretRef] = useState(props.server?.oauth?.clientSecretRef ?? '');
  const create = useMutation(trpc.mcpServers.create.mutationOptions({ onSuccess: props.onDone }));
  const update = useMutation(trpc.mcpServers.update.mutationOptions({ onSuccess: props.onDone }));
  const saving = props.server ? update : create;
  const errors = formErrors(saving.error, ['name', 'url', 'secretRef', 'oauth.clientSecretRef', 'oauth']);
  const oauth = {
    ...(scopes.trim() ? { scopes: scopes.trim().split(/\s+/) } : {}),
    ...(clientId.trim() ? { clientId: clientId.trim() } : {}),
    ...(clientSecretRef ? { clientSecretRef } : {}),
  };
  const submit = () =>
    props.server
      ? update.mutate(
          useOAuth
            ? { id: props.server.id, name, url, oauth }
            : { id: props.server.id, name, url, secretRef: secretRef || null, oauth: null },
        )
      : create.mutate(useOAuth ? { name, url, oauth } : { name, url, secretRef: secretRef || undefined });
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
      <label className="checkbox">
        <input type="checkbox" checked={useOAuth} onChange={(e) => setUseOAuth(e.target.checked)} /> Sign in with OAuth
        2.1 instead of a bearer token
      </label>
      {useOAuth ? (
        <>
          <Field
            label="Scopes"
            hint="Space-separated; empty asks for what the server advertises"
            error={errors.field('oauth')}
          >
            {(p) => <input {...p} spellCheck={false} value={scopes} onChange={(e) => setScopes(e.target.value)} />}
          </Field>
          <Field label="Client ID" hint="Only for a client registered by hand at the authorization server">
            {(p) => <input {...p} spellCheck={false} value={clientId} onChange={(e) => setClientId(e.target.value)} />}
          </Field>
          <SecretPicker
            label="Client secret"
            optional
            value={clientSecretRef}
            onChange={setClientSecretRef}
            error={errors.field('oauth.clientSecretRef')}
          />
        </>
      ) : (
        <>
          <SecretPicker
            label="Bearer token"
            optional
            value={secretRef}
            onChange={setSecretRef}
            error={errors.field('secretRef')}
          />
          <ValidateButton input={{ url, secretRef: secretRef || undefined }} disabled={!url} />
        </>
      )}
      <FormActions
        error={errors.form}
        busy={saving.isPending}
        submit={props.server ? 'Save' : 'Add MCP server'}
        onCancel={props.onDone}
      />
    </form>
  );
}
