import type { RouterOutputs } from '@strongroom/client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '../../trpc';
import { ConfirmDialog } from '../../ui/confirm';
import { Badge, Loaded, When } from '../../ui/feedback';
import { useMemberEmails } from '../members-page';

type SecretMeta = RouterOutputs['secrets']['get'];

/** Every stored version; rolling back stores the old value again as a new version. */
export function VersionsPanel(props: { secret: SecretMeta }) {
  const trpc = useTRPC();
  const versions = useQuery(trpc.secrets.versions.queryOptions({ id: props.secret.id }));
  const emails = useMemberEmails();
  const [target, setTarget] = useState<number | null>(null);
  return (
    <section aria-labelledby="versions-title" className="panel">
      <h2 id="versions-title">Versions</h2>
      {/* A list, not a table: in a half-width card a table squeezed each date onto several lines
          and pushed the buttons out of view; these rows wrap whole items instead. */}
      <Loaded query={versions}>
        {(rows) => (
          <ul className="rows versions">
            {[...rows]
              .sort((a, b) => b.version - a.version)
              .map((row) => (
                <li key={row.version}>
                  <strong>v{row.version}</strong>
                  <When iso={row.createdAt} />
                  <span className="muted">
                    {row.createdBy ? (emails.get(row.createdBy) ?? row.createdBy) : 'system'}
                  </span>
                  {row.version === props.secret.version ? (
                    <Badge tone="ok">current</Badge>
                  ) : (
                    <button type="button" onClick={() => setTarget(row.version)}>
                      Roll back to v{row.version}
                    </button>
                  )}
                </li>
              ))}
          </ul>
        )}
      </Loaded>
      {target !== null && <RollbackDialog secret={props.secret} toVersion={target} onDone={() => setTarget(null)} />}
    </section>
  );
}

function RollbackDialog(props: { secret: SecretMeta; toVersion: number; onDone: () => void }) {
  const trpc = useTRPC();
  const rollback = useMutation(trpc.secrets.rollback.mutationOptions({ onSuccess: props.onDone }));
  return (
    <ConfirmDialog
      title={`Roll back to v${props.toVersion}`}
      confirm={`Roll back to v${props.toVersion}`}
      pending={rollback.isPending}
      error={rollback.error}
      onConfirm={() => rollback.mutate({ id: props.secret.id, toVersion: props.toVersion })}
      onCancel={props.onDone}
    >
      <p>
        The value of v{props.toVersion} becomes the current value as v{props.secret.version + 1}. Runtimes pick it up
        within moments; nothing is deleted.
      </p>
    </ConfirmDialog>
  );
}
