import { z } from 'zod';
import { displayName, id, text, timestamp } from '../core/schemas';

/** An http(s) URL; where it may point is checked by the address guard. */
export const mcpUrl = text({ max: 2048 }).pipe(z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }));

/** One OAuth scope token (RFC 6749 §3.3). */
const scope = text({ min: 1, max: 200 }).regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/, {
  error: 'is not a valid OAuth scope',
});

/** OAuth 2.1 instead of a bearer secret: what to ask for and, optionally, a pre-registered client. */
export const oauthSettings = z.strictObject({
  scopes: z.array(scope).max(50).optional(),
  clientId: text({ min: 1, max: 500 }).optional(),
  /** The pre-registered client's secret, a secret like any other. */
  clientSecretRef: id.optional(),
  /** `client_credentials`: machine to machine, connected without a browser (needs clientId and clientSecretRef). */
  grantType: z.enum(['authorization_code', 'client_credentials']).optional(),
});

const oneCredential = (v: { secretRef?: string | null | undefined; oauth?: unknown }) => !(v.secretRef && v.oauth);
const clientCredentialsComplete = (v: { oauth?: z.infer<typeof oauthSettings> | null | undefined }) =>
  v.oauth?.grantType !== 'client_credentials' || (!!v.oauth.clientId && !!v.oauth.clientSecretRef);
const credentialRules = <
  T extends z.ZodType<{
    secretRef?: string | null | undefined;
    oauth?: z.infer<typeof oauthSettings> | null | undefined;
  }>,
>(
  schema: T,
) =>
  schema
    .refine(oneCredential, { error: 'give either secretRef (a bearer token) or oauth, not both', path: ['oauth'] })
    .refine(clientCredentialsComplete, {
      error: 'the client credentials grant needs clientId and clientSecretRef',
      path: ['oauth', 'clientSecretRef'],
    });

export const createMcpServerInput = credentialRules(
  z.strictObject({ name: displayName(100), url: mcpUrl, secretRef: id.optional(), oauth: oauthSettings.optional() }),
);

export const updateMcpServerInput = credentialRules(
  z.strictObject({
    id,
    name: displayName(100).optional(),
    url: mcpUrl.optional(),
    /** null detaches the credential. */
    secretRef: id.nullable().optional(),
    /** Switches the server to OAuth (or changes its settings); null switches it back to a bearer token. */
    oauth: oauthSettings.nullable().optional(),
  }),
);

/** Either a stored server (`id`) or a candidate (`url` and an optional `secretRef`). */
export const validateInput = z
  .strictObject({ id: id.optional(), url: mcpUrl.optional(), secretRef: id.optional() })
  .refine((v) => (v.id === undefined) !== (v.url === undefined), {
    error: 'give either id, or url (with an optional secretRef)',
    path: ['id'],
  })
  .refine((v) => v.id === undefined || v.secretRef === undefined, {
    error: 'secretRef goes with url; a stored server uses its own',
    path: ['secretRef'],
  });

const tool = z.strictObject({ name: z.string(), description: z.string() });

export const mcpServer = z.strictObject({
  id,
  orgId: id,
  name: z.string(),
  url: z.string(),
  secretRef: id.nullable(),
  /** Still holding a raw token from the legacy platform (never shown): run the backfill. */
  hasLegacyToken: z.boolean(),
  /** `oauth`: signs in with OAuth 2.1 (see `oauth`); `bearer`: the secret in `secretRef`, if any. */
  auth: z.enum(['bearer', 'oauth']),
  /** The OAuth connection's state; null for a bearer server. Never a token. */
  oauth: z
    .strictObject({
      status: z.enum(['not_connected', 'connected', 'needs_reauth']),
      issuer: z.string().nullable(),
      scopes: z.array(z.string()),
      expiresAt: timestamp.nullable(),
      connectedAt: timestamp.nullable(),
      connectedBy: id.nullable(),
      reason: z.string().nullable(),
      requestedScopes: z.array(z.string()).nullable(),
      clientId: z.string().nullable(),
      clientSecretRef: id.nullable(),
      grantType: z.enum(['authorization_code', 'client_credentials']),
    })
    .nullable(),
  tools: z.array(tool).nullable(),
  lastValidatedAt: timestamp.nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const validateOutput = z.union([
  z.strictObject({ ok: z.literal(true), tools: z.array(tool) }),
  z.strictObject({
    ok: z.literal(false),
    error: z.strictObject({
      code: z.enum([
        'UNAUTHORIZED',
        'UNREACHABLE',
        'TIMEOUT',
        'NOT_MCP',
        'BLOCKED_ADDRESS',
        'NOT_CONNECTED',
        'NEEDS_REAUTH',
        'INSUFFICIENT_SCOPE',
        'OAUTH_UNAVAILABLE',
      ]),
      message: z.string(),
    }),
  }),
]);

export type McpServer = z.infer<typeof mcpServer>;
