import type { RouterInputs, RouterOutputs } from '@strongroom/client';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { formErrors } from '../../errors';
import { useTRPC } from '../../trpc';
import { Field } from '../../ui/field';
import { Badge, ErrorMessage } from '../../ui/feedback';
import { FormActions, submitWith } from '../../ui/form';

type ImportInput = RouterInputs['secrets']['import'];
type ImportResult = RouterOutputs['secrets']['import'];
type Status = ImportResult['results'][number]['status'];

const STATUS: Record<Status, { label: string; tone: 'neutral' | 'warn' | 'ok' | 'danger' }> = {
  created: { label: 'new', tone: 'ok' },
  updated: { label: 'changed', tone: 'warn' },
  unchanged: { label: 'unchanged', tone: 'neutral' },
  skipped: { label: 'changed, kept', tone: 'neutral' },
  conflict: { label: 'changed, conflict', tone: 'danger' },
};

/** The format a file's name suggests: JSON for `.json`, a .env file otherwise. */
const formatOf = (fileName: string): ImportInput['format'] => (fileName.endsWith('.json') ? 'json' : 'dotenv');

/**
 * Import a .env file or a JSON object of names to values: paste or pick a file, preview what
 * would be new, changed and unchanged (a dry run, compared on the server), then apply it, all or
 * nothing. The content stays in this dialog's state only.
 */
export function ImportSecretsForm(props: { onDone: () => void }) {
  const trpc = useTRPC();
  const [namespace, setNamespace] = useState('default');
  const [scope, setScope] = useState<ImportInput['scope']>('agent');
  const [format, setFormat] = useState<ImportInput['format']>('dotenv');
  const [content, setContent] = useState('');
  const [onConflict, setOnConflict] = useState<NonNullable<ImportInput['onConflict']>>('fail');
  const [preview, setPreview] = useState<ImportResult | null>(null);
  const [applied, setApplied] = useState<ImportResult | null>(null);
  const run = useMutation(
    trpc.secrets.import.mutationOptions({
      gcTime: 0,
      onSuccess: (result) => (result.applied ? setApplied(result) : setPreview(result)),
    }),
  );
  const errors = formErrors(run.error, ['namespace', 'scope', 'format', 'content', 'onConflict']);
  const input = { namespace, scope, format, content, onConflict };
  // Any change to what would be imported makes the preview stale: preview again before applying.
  const edit =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      set(v);
      setPreview(null);
      run.reset();
    };
  const blocked = preview?.results.some((r) => r.status === 'conflict') ?? false;

  if (applied) {
    const count = (status: Status) => applied.results.filter((r) => r.status === status).length;
    return (
      <div>
        <p role="status">
          Imported: {count('created')} new, {count('updated')} updated, {count('unchanged')} unchanged,{' '}
          {count('skipped')} kept as they were.
        </p>
        <div className="actions">
          <button type="button" className="primary" onClick={props.onDone}>
            Done
          </button>
        </div>
      </div>
    );
  }
  return (
    <form onSubmit={submitWith(() => run.mutate({ ...input, dryRun: preview === null }))}>
      <div className="filters">
        <Field label="Namespace" error={errors.field('namespace')}>
          {(p) => <input {...p} required value={namespace} onChange={(e) => edit(setNamespace)(e.target.value)} />}
        </Field>
        <Field label="Scope of new secrets" error={errors.field('scope')}>
          {(p) => (
            <select {...p} value={scope} onChange={(e) => edit(setScope)(e.target.value as ImportInput['scope'])}>
              <option value="agent">agent</option>
              <option value="org">org</option>
            </select>
          )}
        </Field>
        <Field label="Format" error={errors.field('format')}>
          {(p) => (
            <select {...p} value={format} onChange={(e) => edit(setFormat)(e.target.value as ImportInput['format'])}>
              <option value="dotenv">.env file</option>
              <option value="json">JSON object</option>
            </select>
          )}
        </Field>
      </div>
      <Field label="File" hint="Or paste the content below. It is read here and sent only when you preview or apply.">
        {(p) => (
          <input
            {...p}
            type="file"
            accept=".env,.json,text/plain,application/json"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (!file) return;
              edit(setFormat)(formatOf(file.name));
              void file.text().then(edit(setContent));
            }}
          />
        )}
      </Field>
      <Field label="Content" error={errors.field('content')}>
        {(p) => (
          <textarea
            {...p}
            rows={8}
            required
            spellCheck={false}
            autoComplete="off"
            className="mono"
            placeholder={format === 'json' ? '{ "API_KEY": "…" }' : 'API_KEY=…'}
            value={content}
            onChange={(e) => edit(setContent)(e.target.value)}
          />
        )}
      </Field>
      <Field label="When a name exists with another value" error={errors.field('onConflict')}>
        {(p) => (
          <select
            {...p}
            value={onConflict}
            onChange={(e) => edit(setOnConflict)(e.target.value as NonNullable<ImportInput['onConflict']>)}
          >
            <option value="fail">refuse the import</option>
            <option value="skip">keep the current value</option>
            <option value="update">set the imported value (a new version)</option>
          </select>
        )}
      </Field>
      {preview && <ImportPreview result={preview} />}
      {blocked && (
        <ErrorMessage>
          Some names already hold a different value. Choose to keep or set them above, then preview again.
        </ErrorMessage>
      )}
      <FormActions
        error={errors.form}
        busy={run.isPending}
        disabled={blocked}
        submit={preview ? `Apply import (${preview.results.length})` : 'Preview'}
        onCancel={props.onDone}
      />
    </form>
  );
}

function ImportPreview(props: { result: ImportResult }) {
  return (
    <div className="table-wrap">
      <table aria-label="Import preview">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {props.result.results.map((r) => (
            <tr key={r.name}>
              <th scope="row">{r.name}</th>
              <td>
                <Badge tone={STATUS[r.status].tone}>{STATUS[r.status].label}</Badge>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
