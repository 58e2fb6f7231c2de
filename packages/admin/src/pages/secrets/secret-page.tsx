import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, navigate } from '../../router';
import { useTRPC } from '../../trpc';
import { Dialog } from '../../ui/dialog';
import { Badge, Loaded, When } from '../../ui/feedback';
import { DeleteSecretDialog } from './delete-secret';
import { GrantsPanel } from './grants';
import { RevealValue } from './reveal';
import { EditSecretForm, SetValueForm } from './secret-forms';
import { UsedBy } from './used-by';
import { VersionsPanel } from './versions';
import { MakeWriteOnlyDialog, RotationFact, WriteOnlyValue } from './write-only';

type Action = 'edit' | 'value' | 'write-only' | 'delete';

/** One secret: its metadata, the masked value with Reveal, versions and grants. */
export function SecretPage(props: { id: string }) {
  const trpc = useTRPC();
  const secret = useQuery(trpc.secrets.get.queryOptions({ id: props.id }));
  const [action, setAction] = useState<Action | null>(null);
  const close = () => setAction(null);
  return (
    <section aria-labelledby="secret-title">
      <p className="breadcrumb">
        <Link to="/secrets">← Secrets</Link>
      </p>
      <Loaded query={secret}>
        {(meta) => (
          <>
            <div className="page-header">
              <h1 id="secret-title">{meta.name}</h1>
              <div className="actions">
                <button type="button" onClick={() => setAction('edit')}>
                  Edit details
                </button>
                <button type="button" onClick={() => setAction('value')}>
                  Set new value
                </button>
                {meta.revealable && (
                  <button type="button" onClick={() => setAction('write-only')}>
                    Make write-only…
                  </button>
                )}
                <button type="button" className="danger" onClick={() => setAction('delete')}>
                  Delete
                </button>
              </div>
            </div>
            <dl className="facts">
              <dt>Value</dt>
              <dd>
                {meta.revealable ? (
                  // Keyed by version too: a value revealed before a rollback or a new value is dropped, not relabelled.
                  <RevealValue key={`${meta.id}:${meta.version}`} secretId={meta.id} name={meta.name} />
                ) : (
                  <WriteOnlyValue />
                )}
              </dd>
              <dt>Namespace</dt>
              <dd>{meta.namespace}</dd>
              <dt>Scope</dt>
              <dd>
                <Badge>{meta.scope}</Badge>
              </dd>
              <dt>Description</dt>
              <dd>{meta.description || <span className="muted">none</span>}</dd>
              <dt>Version</dt>
              <dd>v{meta.version}</dd>
              <dt>Value changed</dt>
              <dd>
                <When iso={meta.rotatedAt} empty="never since created" />
              </dd>
              <dt>Rotation</dt>
              <dd>
                <RotationFact secret={meta} />
              </dd>
              <dt>Created</dt>
              <dd>
                <When iso={meta.createdAt} />
              </dd>
              <dt>Used by</dt>
              <dd>
                <UsedBy refs={meta.usedBy} />
              </dd>
            </dl>
            <div className="panels">
              <VersionsPanel secret={meta} />
              <GrantsPanel secret={meta} />
            </div>
            {action === 'edit' && (
              <Dialog title="Edit details" onClose={close}>
                <EditSecretForm secret={meta} onDone={close} />
              </Dialog>
            )}
            {action === 'value' && (
              <Dialog title={`New value for “${meta.name}”`} onClose={close}>
                <SetValueForm secret={meta} onDone={close} />
              </Dialog>
            )}
            {action === 'write-only' && <MakeWriteOnlyDialog secret={meta} onDone={close} />}
            {action === 'delete' && (
              <DeleteSecretDialog secret={meta} onDeleted={() => navigate('/secrets')} onCancel={close} />
            )}
          </>
        )}
      </Loaded>
    </section>
  );
}
