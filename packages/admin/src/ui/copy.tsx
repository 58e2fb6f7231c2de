import { useEffect, useState } from 'react';

/** Copies a value to the clipboard and says whether that worked. */
export function CopyButton(props: { value: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 2_000);
    return () => clearTimeout(timer);
  }, [state]);
  const copy = () => {
    navigator.clipboard.writeText(props.value).then(
      () => setState('copied'),
      () => setState('failed'),
    );
  };
  return (
    <span className="copy">
      <button type="button" onClick={copy}>
        {props.label ?? 'Copy'}
      </button>
      <span role="status" className="copy-status">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed: select the text and copy it' : ''}
      </span>
    </span>
  );
}

/** A credential the server shows exactly once. */
export function ShownOnce(props: { value: string; what: string }) {
  return (
    <div className="shown-once">
      <p>Copy this {props.what} now: it is shown once and cannot be retrieved later.</p>
      <div className="secret-line">
        <code data-testid="shown-once">{props.value}</code>
        <CopyButton value={props.value} />
      </div>
    </div>
  );
}
