import * as oauth from 'oauth4webapi';
import type { OidcSettings } from './config';
import { signIn, signOut } from './session';

/**
 * Sign-in with the identity provider: authorization code + PKCE as a public client. The access
 * token becomes the session's bearer token (sessionStorage, like a pasted token); the refresh
 * token and expiry sit next to it, in this tab only, for silent renewal.
 */
const PENDING_KEY = 'strongroom.oidc.pending';
const SESSION_KEY = 'strongroom.oidc.session';
/** The page the provider sends the browser back to; the server serves the console there. */
export const CALLBACK_PATH = '/auth/callback';
/** Renewal starts a minute before expiry, but never before three quarters of the token's life. */
const renewAt = (lifetimeMs: number) => Date.now() + Math.max(lifetimeMs * 0.75, lifetimeMs - 60_000);

interface Pending {
  verifier: string;
  state: string;
}

interface OidcSession {
  settings: OidcSettings;
  refreshToken: string | undefined;
  renewAt: number;
}

const readJson = <T>(key: string): T | undefined => {
  const text = sessionStorage.getItem(key);
  return text ? (JSON.parse(text) as T) : undefined;
};

const redirectUri = () => `${window.location.origin}${CALLBACK_PATH}`;
const client = (settings: OidcSettings): oauth.Client => ({
  client_id: settings.clientId,
  token_endpoint_auth_method: 'none',
});
/** The server accepts http issuers only on loopback, so allowing them here adds nothing unsafe. */
const options = (settings: OidcSettings) => ({
  [oauth.allowInsecureRequests]: new URL(settings.issuer).protocol === 'http:',
});

const metadata = new Map<string, Promise<oauth.AuthorizationServer>>();
function discover(settings: OidcSettings): Promise<oauth.AuthorizationServer> {
  let found = metadata.get(settings.issuer);
  if (!found) {
    const issuer = new URL(settings.issuer);
    found = oauth
      .discoveryRequest(issuer, options(settings))
      .then((res) => oauth.processDiscoveryResponse(issuer, res));
    found.catch(() => metadata.delete(settings.issuer));
    metadata.set(settings.issuer, found);
  }
  return found;
}

/** Sends the browser to the identity provider's sign-in page. */
export async function startOidcSignIn(settings: OidcSettings): Promise<void> {
  const as = await discover(settings);
  const pending: Pending = { verifier: oauth.generateRandomCodeVerifier(), state: oauth.generateRandomState() };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: settings.clientId,
    redirect_uri: redirectUri(),
    response_type: 'code',
    scope: settings.scopes,
    resource: settings.resource,
    state: pending.state,
    code_challenge: await oauth.calculatePKCECodeChallenge(pending.verifier),
    code_challenge_method: 'S256',
  }).toString();
  window.location.assign(url.href);
}

function keep(settings: OidcSettings, tokens: oauth.TokenEndpointResponse, previous?: OidcSession) {
  const session: OidcSession = {
    settings,
    // A provider that does not rotate refresh tokens answers without one: keep the old one.
    refreshToken: tokens.refresh_token ?? previous?.refreshToken,
    renewAt: renewAt((tokens.expires_in ?? 300) * 1000),
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  signIn(tokens.access_token);
}

/**
 * On the callback page: checks state, redeems the code with the PKCE verifier, starts the
 * session, and takes the code out of the address bar. Throws with a message for the sign-in page.
 */
export async function completeOidcSignIn(settings: OidcSettings): Promise<void> {
  const pending = readJson<Pending>(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  const current = new URL(window.location.href);
  window.history.replaceState(null, '', '/');
  if (!pending) throw new Error('The sign-in did not start in this tab; sign in again.');
  const as = await discover(settings);
  const params = oauth.validateAuthResponse(as, client(settings), current, pending.state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client(settings),
    oauth.None(),
    params,
    redirectUri(),
    pending.verifier,
    { ...options(settings), additionalParameters: { resource: settings.resource } },
  );
  keep(settings, await oauth.processAuthorizationCodeResponse(as, client(settings), response));
}

/** Whether this tab's session came from the identity provider. */
export const hasOidcSession = () => sessionStorage.getItem(SESSION_KEY) !== null;

/**
 * Renews the access token with the refresh token shortly before it expires, for as long as the
 * session lasts; when renewal is impossible the session ends with "sign in again".
 * Returns a function that stops the timer.
 */
export function keepOidcSessionFresh(): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    const session = readJson<OidcSession>(SESSION_KEY);
    if (!session) return;
    timer = setTimeout(() => void renew(session), Math.max(0, session.renewAt - Date.now()));
  };
  const renew = async (session: OidcSession) => {
    try {
      if (!session.refreshToken) throw new Error('no refresh token');
      const { settings } = session;
      const as = await discover(settings);
      const response = await oauth.refreshTokenGrantRequest(as, client(settings), oauth.None(), session.refreshToken, {
        ...options(settings),
        additionalParameters: { resource: settings.resource },
      });
      keep(settings, await oauth.processRefreshTokenResponse(as, client(settings), response), session);
      schedule();
    } catch {
      endSession('Your sign-in has expired. Sign in again.');
    }
  };
  schedule();
  return () => clearTimeout(timer);
}

/**
 * Ends the console session. A session from the identity provider also forgets its tokens and
 * revokes the refresh token there (best effort: the tab forgets it either way).
 */
export function endSession(reason?: string): void {
  const session = readJson<OidcSession>(SESSION_KEY);
  sessionStorage.removeItem(SESSION_KEY);
  signOut(reason);
  if (!session?.refreshToken) return;
  const { settings, refreshToken } = session;
  void discover(settings)
    .then((as) => oauth.revocationRequest(as, client(settings), oauth.None(), refreshToken, options(settings)))
    .catch(() => undefined);
}
