import { useMutation } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useConsoleConfig } from '../../config';
import { formErrors } from '../../errors';
import { useTRPC } from '../../trpc';
import { CopyButton } from '../../ui/copy';
import { Dialog } from '../../ui/dialog';
import { Field } from '../../ui/field';
import { Masked } from '../../ui/feedback';
import { FormActions, submitWith } from '../../ui/form';
import { useNow } from '../../ui/hooks';

interface Shown {
  value: string;
  version: number;
  until: number;
}

/**
 * The masked value with a Reveal button. Each reveal is a fresh `secrets.reveal` call (audited,
 * with the reason given); the value is held only in this component's state, never in the query
 * cache, and is dropped when the time is up or the page is left.
 */
export function RevealValue(props: { secretId: string; name: string }) {
  const trpc = useTRPC();
  const config = useConsoleConfig();
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const [shown, setShown] = useState<Shown | null>(null);
  const now = useNow(shown !== null);
  const reveal = useMutation(
    trpc.secrets.reveal.mutationOptions({
      gcTime: 0,
      onSuccess: (result) => {
        const seconds = config.data?.revealSeconds ?? 30;
        setShown({ value: result.value, version: result.version, until: Date.now() + seconds * 1_000 });
        setAsking(false);
        setReason('');
      },
    }),
  );
  // Keep no copy of the value in the mutation's state once it is on screen.
  const { reset } = reveal;
  useEffect(() => {
    if (shown) reset();
  }, [shown, reset]);
  useEffect(() => {
    if (!shown) return;
    const timer = setTimeout(() => setShown(null), shown.until - Date.now());
    return () => clearTimeout(timer);
  }, [shown]);
  const errors = formErrors(reveal.error, ['reason']);

  if (shown) {
    const left = Math.max(0, Math.ceil((shown.until - now) / 1_000));
    return (
      <div className="secret-line">
        <code className="revealed" data-testid="revealed-value">
          {shown.value}
        </code>
        <CopyButton value={shown.value} />
        <button type="button" onClick={() => setShown(null)}>
          Hide
        </button>
        <span className="muted" role="timer" aria-live="off">
          v{shown.version} · hidden again in {left} s
        </span>
      </div>
    );
  }
  return (
    <div className="secret-line">
      <Masked />
      <button type="button" onClick={() => setAsking(true)}>
        Reveal…
      </button>
      {asking && (
        <Dialog title={`Reveal “${props.name}”`} onClose={() => setAsking(false)}>
          <form onSubmit={submitWith(() => reveal.mutate({ id: props.secretId, reason: reason.trim() || undefined }))}>
            <p>
              The value is shown for {config.data?.revealSeconds ?? 30} seconds. Every reveal is written to the audit
              log with your name and the reason below.
            </p>
            <Field label="Reason (optional)" error={errors.field('reason')}>
              {(p) => (
                <input {...p} autoFocus maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
              )}
            </Field>
            <FormActions
              error={errors.form}
              busy={reveal.isPending}
              submit="Reveal value"
              onCancel={() => setAsking(false)}
            />
          </form>
        </Dialog>
      )}
    </div>
  );
}
