import type { RouterOutputs } from '@strongroom/client';
import { useMutation } from '@tanstack/react-query';
import { problemOf } from '../../errors';
import { useTRPC } from '../../trpc';
import { ConfirmDialog } from '../../ui/confirm';
import { UsedBy } from './used-by';

type SecretMeta = RouterOutputs['secrets']['get'];
type Ref = SecretMeta['usedBy'][number];

const WHY =
  'A provider or MCP server that references a secret needs it at run time, so the secret cannot be deleted while they do. Point them at another secret (or delete them) first, then delete this one.';

/**
 * Delete, with what still uses the secret shown up front (and the button disabled while it does),
 * and the server's CONFLICT explained should a reference appear meanwhile.
 */
export function DeleteSecretDialog(props: { secret: SecretMeta; onDeleted: () => void; onCancel: () => void }) {
  const trpc = useTRPC();
  const remove = useMutation(trpc.secrets.delete.mutationOptions({ onSuccess: props.onDeleted }));
  const problem = remove.error ? problemOf(remove.error) : undefined;
  const conflictRefs =
    problem?.code === 'CONFLICT' ? ((problem.details?.usedBy as Ref[] | undefined) ?? props.secret.usedBy) : undefined;
  const inUse = props.secret.usedBy.length > 0;
  return (
    <ConfirmDialog
      title={`Delete “${props.secret.name}”`}
      confirm="Delete secret"
      danger
      pending={remove.isPending}
      error={conflictRefs ? undefined : remove.error}
      blocked={inUse ? 'Delete is disabled while anything above still uses this secret.' : undefined}
      onConfirm={() => remove.mutate({ id: props.secret.id })}
      onCancel={props.onCancel}
    >
      {inUse ? (
        <div className="notice notice-warn">
          <p>
            Used by: <UsedBy refs={props.secret.usedBy} />
          </p>
          <p>{WHY}</p>
        </div>
      ) : (
        <p>
          Every version of the value is deleted. Agents and chats granted this secret lose it. This cannot be undone.
        </p>
      )}
      {conflictRefs && (
        <div role="alert" className="notice notice-danger">
          <p>
            <strong>Not deleted.</strong> {problem!.message}
          </p>
          <p>
            Still used by: <UsedBy refs={conflictRefs} />
          </p>
          {!inUse && <p>{WHY}</p>}
        </div>
      )}
    </ConfirmDialog>
  );
}
