import { type FormEvent, useId } from 'react';
import { ErrorMessage } from './feedback';

/** A submit handler that stays on the page (no navigation, nothing in the URL). */
export const submitWith = (run: () => void) => (event: FormEvent) => {
  event.preventDefault();
  run();
};

/**
 * The form-level error and the buttons every dialog form ends with. `blocked` says why the
 * submit button is disabled (the server would refuse), next to the button it disables.
 */
export function FormActions(props: {
  error?: string | undefined;
  busy: boolean;
  submit: string;
  onCancel?: () => void;
  danger?: boolean;
  /** Not available yet (say why nearby); unlike `busy`, the label stays. */
  disabled?: boolean;
  blocked?: string | undefined;
}) {
  const blockedId = useId();
  return (
    <>
      {props.error && <ErrorMessage>{props.error}</ErrorMessage>}
      {props.blocked && (
        <p id={blockedId} className="blocked">
          {props.blocked}
        </p>
      )}
      <div className="actions">
        {props.onCancel && (
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        )}
        <button
          type="submit"
          className={props.danger ? 'danger' : 'primary'}
          disabled={props.busy || props.disabled || !!props.blocked}
          aria-describedby={props.blocked ? blockedId : undefined}
        >
          {props.busy ? 'Working…' : props.submit}
        </button>
      </div>
    </>
  );
}
