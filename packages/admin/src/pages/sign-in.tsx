import { createStrongroomClient } from '@strongroom/client';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { type OidcSettings, useConsoleConfig } from '../config';
import { problemOf } from '../errors';
import { CALLBACK_PATH, completeOidcSignIn, startOidcSignIn } from '../oidc';
import { endedReason, signIn } from '../session';
import { Field } from '../ui/field';

/** "Sign in with <provider>", and the end of that round trip when the provider sends the browser back. */
function OidcSignIn({ settings, onError }: { settings: OidcSettings; onError: (message: string) => void }) {
  const [busy, setBusy] = useState(window.location.pathname === CALLBACK_PATH);
  const completing = useRef(false);
  useEffect(() => {
    if (window.location.pathname !== CALLBACK_PATH || completing.current) return;
    completing.current = true;
    completeOidcSignIn(settings).catch((err: unknown) => {
      onError(`Sign-in with the identity provider failed: ${err instanceof Error ? err.message : String(err)}`);
      setBusy(false);
    });
  }, [settings, onError]);
  const start = () => {
    setBusy(true);
    startOidcSignIn(settings).catch((err: unknown) => {
      onError(`The identity provider could not be reached: ${err instanceof Error ? err.message : String(err)}`);
      setBusy(false);
    });
  };
  return (
    <div className="stack">
      <button type="button" className="primary" onClick={start} disabled={busy}>
        {busy ? 'Signing in…' : `Sign in with ${new URL(settings.issuer).host}`}
      </button>
      <p className="muted small">Or sign in with an API token of your org:</p>
    </div>
  );
}

/** Checks the token with `me` before keeping it, so a typo is caught here and not page by page. */
export function SignIn() {
  const [token, setToken] = useState('');
  const [error, setError] = useState(endedReason);
  const [busy, setBusy] = useState(false);
  const oidc = useConsoleConfig().data?.oidc;
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
      <form className="card" method="post" onSubmit={(e) => void submit(e)} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Strongroom</h1>
        {oidc ? (
          <OidcSignIn settings={oidc} onError={setError} />
        ) : (
          <p className="muted">
            Sign in with an API token of your org. The first start of the server prints an admin token.
          </p>
        )}
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
