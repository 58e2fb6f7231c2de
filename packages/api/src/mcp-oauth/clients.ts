import { registerClient } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  AuthorizationServerMetadata,
  OAuthClientInformationMixed,
  OAuthClientMetadata,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import type { Database } from '@strongroom/db';
import type { Kysely } from 'kysely';
import type { AppDeps } from '../app';
import { AppError } from '../core/errors';
import { findSecret, openSecret } from '../secrets/store';
import { openOAuthValue, sealOAuthValue } from './sealing';

/** The OAuth settings of an MCP server row. */
export interface OAuthServer {
  id: string;
  org_id: string;
  url: string;
  oauth_scopes: string | null;
  oauth_client_id: string | null;
  oauth_client_secret_ref: string | null;
  oauth_grant: 'authorization_code' | 'client_credentials' | null;
}

export const CALLBACK_PATH = '/oauth/mcp/callback';
export const CLIENT_METADATA_PATH = '/oauth/mcp/client-metadata.json';

/** What Strongroom says about itself as an OAuth client (registration and metadata document). */
export function clientMetadata(publicUrl: string, authMethod: string): OAuthClientMetadata {
  return {
    client_name: 'Strongroom',
    redirect_uris: [`${publicUrl}${CALLBACK_PATH}`],
    // RFC 7591's default is the code grant alone, and then no refresh token is issued.
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: authMethod,
  };
}

/** The pre-registered client's secret, opened from the secret the server references. */
async function preRegisteredSecret(deps: Pick<AppDeps, 'db' | 'envelope'>, db: Kysely<Database>, server: OAuthServer) {
  if (!server.oauth_client_secret_ref) return undefined;
  const secret = await findSecret(db, server.org_id, server.oauth_client_secret_ref, ['version', 'value']);
  if (!secret?.value) throw new AppError('PRECONDITION_FAILED', 'The OAuth client secret reference is gone');
  return openSecret(
    deps,
    { orgId: server.org_id, secretId: server.oauth_client_secret_ref, version: secret.version },
    secret.value,
  );
}

/**
 * The client Strongroom presents to an authorization server, in the MCP spec's order: a Client ID
 * Metadata Document (when the server supports them and PUBLIC_URL is https, as they must be), the
 * admin's pre-registered client, else a dynamic registration (RFC 7591) kept per org and issuer
 * — registered on first use. `clientId` picks the one a connection already uses.
 */
export async function clientFor(
  deps: Pick<AppDeps, 'db' | 'envelope' | 'publicUrl'>,
  db: Kysely<Database>,
  input: {
    server: OAuthServer;
    issuer: string;
    metadata: AuthorizationServerMetadata;
    fetchFn: typeof globalThis.fetch;
    clientId?: string;
  },
): Promise<{ info: OAuthClientInformationMixed; kind: 'metadata_document' | 'pre_registered' | 'dynamic' }> {
  const { server, issuer, metadata } = input;
  const publicUrl = deps.publicUrl.get();
  const documentUrl = `${publicUrl}${CLIENT_METADATA_PATH}`;
  const supportsDocument =
    'client_id_metadata_document_supported' in metadata && metadata.client_id_metadata_document_supported === true;
  if (
    input.clientId === documentUrl ||
    (!input.clientId &&
      supportsDocument &&
      publicUrl.startsWith('https://') &&
      // The client credentials grant needs a confidential client: the pre-registered one.
      server.oauth_grant !== 'client_credentials')
  ) {
    return { info: { client_id: documentUrl }, kind: 'metadata_document' };
  }
  if (server.oauth_client_id && (!input.clientId || input.clientId === server.oauth_client_id)) {
    const secret = await preRegisteredSecret(deps, db, server);
    return {
      info: { client_id: server.oauth_client_id, ...(secret ? { client_secret: secret } : {}) },
      kind: 'pre_registered',
    };
  }
  const redirectUri = `${publicUrl}${CALLBACK_PATH}`;
  const stored = await db
    .selectFrom('mcp_oauth_clients')
    .select(['client_id', 'client_secret'])
    .where('org_id', '=', server.org_id)
    .where('issuer', '=', issuer)
    // A connection's own client, whatever this instance's address; else the one for this redirect URI.
    .$call((qb) =>
      input.clientId ? qb.where('client_id', '=', input.clientId) : qb.where('redirect_uri', '=', redirectUri),
    )
    .executeTakeFirst();
  if (stored) {
    const secret = stored.client_secret
      ? await openOAuthValue(
          deps,
          { purpose: 'client_secret', orgId: server.org_id, issuer, clientId: stored.client_id },
          stored.client_secret,
        )
      : undefined;
    return { info: { client_id: stored.client_id, ...(secret ? { client_secret: secret } : {}) }, kind: 'dynamic' };
  }
  if (input.clientId)
    throw new AppError('PRECONDITION_FAILED', 'The OAuth client registration is gone; connect again', {
      reason: 'MCP_REAUTH_REQUIRED',
    });
  if (!metadata.registration_endpoint) {
    throw new AppError(
      'PRECONDITION_FAILED',
      `${issuer} offers no dynamic client registration: set oauth.clientId (and oauth.clientSecretRef) on the MCP server`,
      { reason: 'MCP_OAUTH_CLIENT_REQUIRED' },
    );
  }
  const methods = metadata.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
  const authMethod = ['client_secret_basic', 'client_secret_post', 'none'].find((m) => methods.includes(m)) ?? 'none';
  let registered: Awaited<ReturnType<typeof registerClient>>;
  try {
    registered = await registerClient(issuer, {
      metadata,
      clientMetadata: clientMetadata(publicUrl, authMethod),
      fetchFn: input.fetchFn,
    });
  } catch (err) {
    throw new AppError('PRECONDITION_FAILED', `Dynamic client registration at ${issuer} failed`, {
      reason: 'MCP_OAUTH_REGISTRATION_FAILED',
      cause: err,
    });
  }
  const { client_secret: secret, ...rest } = registered;
  // Kept for reference, minus anything that lets its holder act as the client.
  const registration = Object.fromEntries(Object.entries(rest).filter(([k]) => k !== 'registration_access_token'));
  const sealed = secret
    ? await sealOAuthValue(
        deps,
        { purpose: 'client_secret', orgId: server.org_id, issuer, clientId: registered.client_id },
        secret,
      )
    : undefined;
  await db
    .insertInto('mcp_oauth_clients')
    .values({
      org_id: server.org_id,
      issuer,
      redirect_uri: redirectUri,
      client_id: registered.client_id,
      client_secret: sealed?.sealed ?? null,
      kek_id: sealed?.kekId ?? null,
      registration: JSON.stringify(registration),
    })
    .onConflict((oc) => oc.columns(['org_id', 'issuer', 'redirect_uri']).doNothing())
    .execute();
  // A concurrent Connect may have registered first: everyone uses the registration that was kept.
  return clientFor(deps, db, input);
}
