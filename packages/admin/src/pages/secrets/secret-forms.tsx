import type { RouterOutputs } from '@strongroom/client';
import { useMutation } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { formErrors } from '../../errors';
import { useTRPC } from '../../trpc';
import { Field } from '../../ui/field';
import { FormActions, submitWith } from '../../ui/form';

type SecretMeta = RouterOutputs['secrets']['get'];
type ErrorsFor = ReturnType<typeof formErrors>;

function NameField(props: { value: string; onChange: (v: string) => void; errors: ErrorsFor }) {
  return (
    <Field label="Name" error={props.errors.field('name')} hint="Letters, digits, “_”, “-” and “.”.">
      {(p) => (
        <input
          {...p}
          required
          autoComplete="off"
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

function DescriptionField(props: { value: string; onChange: (v: string) => void; errors: ErrorsFor }) {
  return (
    <Field label="Description" error={props.errors.field('description')}>
      {(p) => <textarea {...p} rows={2} value={props.value} onChange={(e) => props.onChange(e.target.value)} />}
    </Field>
  );
}

function ValueField(props: {
  value: string;
  onChange: (v: string) => void;
  errors: ErrorsFor;
  label: string;
  hint?: ReactNode;
}) {
  return (
    <Field label={props.label} error={props.errors.field('value')} hint={props.hint}>
      {(p) => (
        <input
          {...p}
          type="password"
          required
          autoComplete="new-password"
          spellCheck={false}
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

/** The rotation reminder in days, empty for none; what `rotationPeriodDays` takes. */
function RotationField(props: { value: string; onChange: (v: string) => void; errors: ErrorsFor }) {
  return (
    <Field
      label="Rotation reminder (days)"
      error={props.errors.field('rotationPeriodDays')}
      hint="Flag the secret once its value is this old. Empty: no reminder. Nothing expires."
    >
      {(p) => (
        <input
          {...p}
          type="number"
          min={1}
          max={3650}
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

const days = (field: string) => (field.trim() === '' ? null : Number(field));

export function CreateSecretForm(props: { onCreated: (secret: SecretMeta) => void; onCancel: () => void }) {
  const trpc = useTRPC();
  const [name, setName] = useState('');
  const [namespace, setNamespace] = useState('default');
  const [scope, setScope] = useState<SecretMeta['scope']>('agent');
  const [description, setDescription] = useState('');
  const [value, setValue] = useState('');
  const [rotation, setRotation] = useState('');
  const create = useMutation(trpc.secrets.create.mutationOptions({ onSuccess: props.onCreated }));
  const errors = formErrors(create.error, ['name', 'namespace', 'scope', 'description', 'value', 'rotationPeriodDays']);
  return (
    <form
      onSubmit={submitWith(() =>
        create.mutate({ name, namespace, scope, description, value, rotationPeriodDays: days(rotation) }),
      )}
    >
      <NameField value={name} onChange={setName} errors={errors} />
      <Field label="Namespace" error={errors.field('namespace')}>
        {(p) => <input {...p} required value={namespace} onChange={(e) => setNamespace(e.target.value)} />}
      </Field>
      <Field
        label="Scope"
        error={errors.field('scope')}
        hint="agent: usable by any agent of the org (provider keys, MCP tokens). org: only where a grant names the chat or the agent."
      >
        {(p) => (
          <select {...p} value={scope} onChange={(e) => setScope(e.target.value as SecretMeta['scope'])}>
            <option value="agent">agent</option>
            <option value="org">org</option>
          </select>
        )}
      </Field>
      <DescriptionField value={description} onChange={setDescription} errors={errors} />
      <ValueField
        label="Value"
        value={value}
        onChange={setValue}
        errors={errors}
        hint="Stored encrypted; shown again only through an audited reveal."
      />
      <RotationField value={rotation} onChange={setRotation} errors={errors} />
      <FormActions error={errors.form} busy={create.isPending} submit="Create secret" onCancel={props.onCancel} />
    </form>
  );
}

/** Renames or re-describes; the value is untouched. */
export function EditSecretForm(props: { secret: SecretMeta; onDone: () => void }) {
  const trpc = useTRPC();
  const [name, setName] = useState(props.secret.name);
  const [description, setDescription] = useState(props.secret.description);
  const [rotation, setRotation] = useState(String(props.secret.rotationPeriodDays ?? ''));
  const update = useMutation(trpc.secrets.update.mutationOptions({ onSuccess: props.onDone }));
  const errors = formErrors(update.error, ['name', 'description', 'rotationPeriodDays']);
  return (
    <form
      onSubmit={submitWith(() =>
        update.mutate({ id: props.secret.id, name, description, rotationPeriodDays: days(rotation) }),
      )}
    >
      <NameField value={name} onChange={setName} errors={errors} />
      <DescriptionField value={description} onChange={setDescription} errors={errors} />
      <RotationField value={rotation} onChange={setRotation} errors={errors} />
      <FormActions error={errors.form} busy={update.isPending} submit="Save" onCancel={props.onDone} />
    </form>
  );
}

/** A new value is a new version; `expectedVersion` makes a concurrent change a clear conflict, not a lost update. */
export function SetValueForm(props: { secret: SecretMeta; onDone: () => void }) {
  const trpc = useTRPC();
  const [value, setValue] = useState('');
  const update = useMutation(trpc.secrets.update.mutationOptions({ onSuccess: props.onDone }));
  const errors = formErrors(update.error, ['value']);
  return (
    <form
      onSubmit={submitWith(() => update.mutate({ id: props.secret.id, value, expectedVersion: props.secret.version }))}
    >
      <ValueField
        label="New value"
        value={value}
        onChange={setValue}
        errors={errors}
        hint={`Becomes version ${props.secret.version + 1}; runtimes pick it up within moments.`}
      />
      <FormActions error={errors.form} busy={update.isPending} submit="Set value" onCancel={props.onDone} />
    </form>
  );
}
