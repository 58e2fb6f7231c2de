import type { RouterOutputs } from '@strongroom/client';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { formErrors } from '../../errors';
import { useTRPC } from '../../trpc';
import { Field } from '../../ui/field';
import { FormActions, submitWith } from '../../ui/form';
import { SecretPicker } from '../secret-picker';
import { PROVIDER_KINDS, type ProviderKind } from './kinds';

type Provider = RouterOutputs['providers']['list'][number];

const FIELDS = ['name', 'kind', 'secretRef', 'config.accountId', 'config.gateway'];

/** Create (no `provider`) or edit a catalog entry. */
export function ProviderForm(props: { provider?: Provider; onDone: () => void }) {
  const trpc = useTRPC();
  const [name, setName] = useState(props.provider?.name ?? '');
  const [kind, setKind] = useState(props.provider?.kind ?? 'openai');
  const [secretRef, setSecretRef] = useState(props.provider?.secretRef ?? '');
  const [accountId, setAccountId] = useState(props.provider?.config.accountId ?? '');
  const [gateway, setGateway] = useState(props.provider?.config.gateway ?? '');
  const create = useMutation(trpc.providers.create.mutationOptions({ onSuccess: props.onDone }));
  const update = useMutation(trpc.providers.update.mutationOptions({ onSuccess: props.onDone }));
  const saving = props.provider ? update : create;
  const errors = formErrors(saving.error, FIELDS);
  const submit = () => {
    // The server checks the kind against its catalog and says so next to the field.
    const fields = { name, kind: kind as ProviderKind, secretRef, config: { accountId, gateway } };
    if (props.provider) update.mutate({ id: props.provider.id, ...fields });
    else create.mutate({ providerType: 'cloudflare-ai-gateway', ...fields });
  };
  return (
    <form onSubmit={submitWith(submit)}>
      <Field
        label="Name"
        error={errors.field('name')}
        hint="Your label, e.g. “OpenAI (prod)”; several entries of one kind are fine."
      >
        {(p) => <input {...p} required value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label="Kind" error={errors.field('kind')}>
        {(p) => (
          <select {...p} value={kind} onChange={(e) => setKind(e.target.value)}>
            {PROVIDER_KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        )}
      </Field>
      <SecretPicker
        label="Provider key"
        scope="agent"
        value={secretRef}
        onChange={setSecretRef}
        error={errors.field('secretRef')}
      />
      <Field
        label="Cloudflare account id"
        error={errors.field('config.accountId')}
        hint="32 hexadecimal digits, from the Cloudflare dashboard."
      >
        {(p) => (
          <input {...p} required spellCheck={false} value={accountId} onChange={(e) => setAccountId(e.target.value)} />
        )}
      </Field>
      <Field label="AI Gateway name" error={errors.field('config.gateway')}>
        {(p) => (
          <input {...p} required spellCheck={false} value={gateway} onChange={(e) => setGateway(e.target.value)} />
        )}
      </Field>
      <FormActions
        error={errors.form}
        busy={saving.isPending}
        submit={props.provider ? 'Save' : 'Create provider'}
        onCancel={props.onDone}
      />
    </form>
  );
}
