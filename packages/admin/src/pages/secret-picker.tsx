import type { RouterInputs } from '@strongroom/client';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '../trpc';
import { Field } from '../ui/field';

type Scope = NonNullable<Exclude<RouterInputs['secrets']['options'], void>['scope']>;

/**
 * Picks a secret by name for a provider key or an MCP token. It lists only what may be attached
 * (`secrets.options`: names, never values; provider keys must be agent-scope), so members can use it too.
 */
export function SecretPicker(props: {
  label: string;
  value: string;
  onChange: (id: string) => void;
  error?: string | undefined;
  optional?: boolean;
  scope?: Scope;
}) {
  const trpc = useTRPC();
  const options = useQuery(trpc.secrets.options.queryOptions({ scope: props.scope }));
  const which = props.scope ? `${props.scope}-scope secrets` : 'secrets';
  const hint = options.error
    ? 'The list of secrets could not be loaded.'
    : options.data?.length === 0
      ? `No ${which} yet: an admin creates one on the Secrets page.`
      : `The org's ${which}; the value stays on the server.`;
  return (
    <Field label={props.label} error={props.error} hint={hint}>
      {(p) => (
        <select {...p} required={!props.optional} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
          <option value="">{props.optional ? 'none' : 'choose a secret…'}</option>
          {options.data?.map((secret) => (
            <option key={secret.id} value={secret.id}>
              {secret.namespace}/{secret.name}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** `namespace/name` of a secret id, for lists. */
export function useSecretNames(): (id: string | null | undefined) => string | undefined {
  const trpc = useTRPC();
  const options = useQuery(trpc.secrets.options.queryOptions({}));
  return (id) => {
    const secret = id ? options.data?.find((s) => s.id === id) : undefined;
    return secret ? `${secret.namespace}/${secret.name}` : undefined;
  };
}
