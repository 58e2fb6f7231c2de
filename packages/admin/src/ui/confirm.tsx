import type { ReactNode } from 'react';
import { problemOf } from '../errors';
import { Dialog } from './dialog';
import { FormActions, submitWith } from './form';

/**
 * Asks before a change that cannot be taken back (delete, revoke, roll back), and shows the
 * server's refusal in the same dialog.
 * @example <ConfirmDialog title="Revoke “ci”" confirm="Revoke" danger pending={m.isPending} error={m.error} onConfirm={…} onCancel={close}>…</ConfirmDialog>
 */
export function ConfirmDialog(props: {
  title: string;
  confirm: string;
  danger?: boolean;
  pending: boolean;
  error?: unknown;
  /** Why confirming is not possible now (e.g. still in use): the button is disabled and this says so. */
  blocked?: string | undefined;
  onConfirm: () => void;
  onCancel: () => void;
  children: ReactNode;
}) {
  return (
    <Dialog title={props.title} onClose={props.onCancel}>
      <form onSubmit={submitWith(props.onConfirm)}>
        {props.children}
        <FormActions
          error={props.error ? problemOf(props.error).message : undefined}
          busy={props.pending}
          submit={props.confirm}
          danger={props.danger}
          blocked={props.blocked}
          onCancel={props.onCancel}
        />
      </form>
    </Dialog>
  );
}
