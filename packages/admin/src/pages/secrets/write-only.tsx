import type { RouterOutputs } from '@strongroom/client';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '../../trpc';
import { ConfirmDialog } from '../../ui/confirm';
import { Badge } from '../../ui/feedback';

type SecretMeta = RouterOutputs['secrets']['get'];

const WRITE_ONLY =
  'Write-only: the value can be set, rotated, rolled back and used by agents at run time, but nobody can reveal or export it.';

export function WriteOnlyBadge() {
  return <Badge title={WRITE_ONLY}>write-only</Badge>;
}

export function RotationDueBadge(props: { days: number | null }) {
  return (
    <Badge tone="warn" title={`The current value is older than its rotation period (${props.days ?? '?'} days)`}>
      rotation due
    </Badge>
  );
}

/** What stands where the Reveal button would: a write-only value has no way out to a person. */
export function WriteOnlyValue() {
  return (
    <div className="secret-line">
      <WriteOnlyBadge />
      <span className="muted">{WRITE_ONLY} Set a new value if you need to change it.</span>
    </div>
  );
}

/** The rotation reminder of a secret, and whether it is due. Nothing expires: it is only a reminder. */
export function RotationFact(props: { secret: SecretMeta }) {
  const days = props.secret.rotationPeriodDays;
  if (days === null) return <span className="muted">no reminder</span>;
  return (
    <span>
      every {days === 1 ? 'day' : `${days} days`} {props.secret.rotationDue && <RotationDueBadge days={days} />}
    </span>
  );
}

/** Makes a secret write-only, after saying that this cannot be undone. */
export function MakeWriteOnlyDialog(props: { secret: SecretMeta; onDone: () => void }) {
  const trpc = useTRPC();
  const update = useMutation(trpc.secrets.update.mutationOptions({ onSuccess: props.onDone }));
  return (
    <ConfirmDialog
      title={`Make “${props.secret.name}” write-only`}
      confirm="Make write-only"
      danger
      pending={update.isPending}
      error={update.error}
      onConfirm={() => update.mutate({ id: props.secret.id, revealable: false })}
      onCancel={props.onDone}
    >
      <p>
        Nobody will be able to reveal or export this value again, admins included. Agents keep using it, and you can
        still set new values and roll back. <strong>This cannot be undone.</strong>
      </p>
    </ConfirmDialog>
  );
}
