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
      <Loaded query={versions}>
        {(rows) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Stored</th>
                  <th scope="col">By</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {[...rows]
                  .sort((a, b) => b.version - a.version)
                  .map((row) => (
                    <tr key={row.version}>
                      <th scope="row">v{row.version}</th>
                      <td>
                        <When iso={row.createdAt} />
                      </td>
                      <td>
                        {row.createdBy ? (
                          (emails.get(row.createdBy) ?? row.createdBy)
                        ) : (
                          <span className="muted">system</span>
                        )}
                      </td>
                      <td>
                        {row.version === props.secret.version ? (
                          <Badge tone="ok">current</Badge>
                        ) : (
                          <button type="button" onClick={() => setTarget(row.version)}>
                            Roll back to v{row.version}
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </div>
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
