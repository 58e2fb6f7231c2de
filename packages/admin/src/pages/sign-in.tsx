import { createStrongroomClient } from '@strongroom/client';
import { type FormEvent, useState } from 'react';
import { problemOf } from '../errors';
import { endedReason, signIn } from '../session';
import { Field } from '../ui/field';

/** Checks the token with `me` before keeping it, so a typo is caught here and not page by page. */
export function SignIn() {
  const [token, setToken] = useState('');
  const [error, setError] = useState(endedReason);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const candidate = token.trim();
      await createStrongroomClient({ url: window.location.origin, token: candidate }).me.query();
      signIn(candidate);
    } catch (err) {
      setError(problemOf(err).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="sign-in">
      <form className="card" method="post" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Strongroom</h1>
        <p className="muted">
          Sign in with an API token of your org. The first start of the server prints an admin token.
        </p>
        <Field label="Token" error={error} hint="Kept in this tab only, until you sign out or close it.">
          {(control) => (
            <input
              {...control}
              type="password"
              name="token"
              autoComplete="off"
              spellCheck={false}
              required
              value={token}
              onChange={(e) => setToken(e.target.value)}
            />
          )}
        </Field>
        <button type="submit" className="primary" disabled={busy || !token.trim()}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small">
          Looking for the API? <a href="/docs">Browse it at /docs</a>.
        </p>
      </form>
    </main>
  );
}
