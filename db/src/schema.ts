import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** A timestamp column: Date when read, Date or ISO string when written, defaulted by the DB. */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export type Role = 'admin' | 'member';
export type SecretScope = 'org' | 'agent';
export type GranteeType = 'group' | 'agent';
export type TokenKind = 'user' | 'worker';

export interface OrgsTable {
  id: Generated<string>;
  name: string;
  created_at: CreatedAt;
}

export interface UsersTable {
  id: Generated<string>;
  email: string;
  /** For a person known through an identity provider: its `iss` and `sub` (unique together). */
  oidc_issuer: ColumnType<string | null, string | null | undefined, string | null>;
  oidc_subject: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
}

export interface OrgMembersTable {
  org_id: string;
  user_id: string;
  role: Role;
  created_at: CreatedAt;
}

export interface GroupsTable {
  id: Generated<string>;
  org_id: string;
  name: string;
  created_at: CreatedAt;
}

export interface GroupMembersTable {
  group_id: string;
  user_id: string;
}

export interface SecretsTable {
  id: Generated<string>;
  org_id: string;
  name: string;
  namespace: Generated<string>;
  scope: SecretScope;
  description: Generated<string>;
  /**
   * The sealed envelope; null only for a legacy row not yet sealed (its plaintext waits in the
   * legacy `legacy_value` column, which is not part of this type: see `secrets/legacy.ts`).
   */
  value: Uint8Array | null;
  kek_id: string | null;
  version: Generated<number>;
  rotated_at: NullableTimestamp;
  /** False makes the secret write-only: never revealed or exported, and never revealable again. */
  revealable: Generated<boolean>;
  /** A rotation reminder: the current version is due once it is this many days old (null: none). */
  rotation_period_days: ColumnType<number | null, number | null | undefined, number | null>;
  created_by: string | null;
  updated_by: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface SecretVersionsTable {
  secret_id: string;
  version: number;
  value: Uint8Array;
  kek_id: string;
  created_at: CreatedAt;
  created_by: string | null;
}

export interface SecretGrantsTable {
  secret_id: string;
  grantee_type: GranteeType;
  grantee_id: string;
  created_at: CreatedAt;
  created_by: string | null;
}

export interface ApiTokensTable {
  id: Generated<string>;
  org_id: string;
  user_id: string | null;
  kind: TokenKind;
  name: string;
  token_hash: Uint8Array;
  token_hint: string;
  created_by: string | null;
  created_at: CreatedAt;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
}

export interface AuditLogTable {
  id: Generated<string>;
  org_id: string | null;
  seq: number;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  metadata: ColumnType<Record<string, unknown>, string, never>;
  created_at: Timestamp;
  prev_hash: string;
  hash: string;
  /** The HMAC key that chains this row; null for unkeyed SHA-256 rows written before keying. */
  key_id: string | null;
}

/** HMAC keys of the audit chain, each sealed under the KEK like a secret. */
export interface AuditKeysTable {
  id: string;
  value: Uint8Array;
  kek_id: string;
  created_at: CreatedAt;
}

/** A chain head that was verified (or, for `legacy`, where unkeyed rows end), MACed. */
export interface AuditCheckpointsTable {
  id: Generated<string>;
  org_id: string | null;
  seq: number;
  hash: string;
  kind: 'legacy' | 'verified';
  key_id: string;
  mac: string;
  created_at: CreatedAt;
}

export interface InfraSecretsTable {
  name: string;
  value: Uint8Array;
  kek_id: string;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface RateLimitsTable {
  key: string;
  window_start: Timestamp;
  count: number;
}

/** The legacy `token` column lives until the purge migration and is read only through SQL. */
export interface McpServersTable {
  id: Generated<string>;
  org_id: string;
  name: string;
  url: string;
  secret_ref: string | null;
  /** `bearer` (a secret reference, or none) or `oauth` (a connection in mcp_oauth_connections). */
  auth: Generated<McpAuth>;
  /** Space-separated scopes to ask for; null asks for what the server advertises. */
  oauth_scopes: string | null;
  oauth_client_id: string | null;
  oauth_client_secret_ref: string | null;
  oauth_grant: McpOAuthGrant | null;
  tools: ColumnType<McpTool[] | null, string | null, string | null>;
  last_validated_at: NullableTimestamp;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export type McpAuth = 'bearer' | 'oauth';
export type McpOAuthGrant = 'authorization_code' | 'client_credentials';

/** A jsonb column: an object when read, JSON text when written. */
type JsonColumn<T> = ColumnType<T, string, string>;

/** One MCP server's OAuth connection: sealed tokens, never plaintext. */
export interface McpOAuthConnectionsTable {
  mcp_server_id: string;
  org_id: string;
  status: 'connected' | 'needs_reauth';
  grant_type: McpOAuthGrant;
  issuer: string;
  client_id: string;
  resource: string;
  as_metadata: JsonColumn<Record<string, unknown>>;
  scopes: Generated<string>;
  access_token: Uint8Array | null;
  refresh_token: Uint8Array | null;
  kek_id: string | null;
  version: Generated<number>;
  expires_at: NullableTimestamp;
  /** Why it needs signing in again (`invalid_grant`, `insufficient_scope`, ...). */
  failure: string | null;
  /** Scopes a 403 `insufficient_scope` asked for; Connect adds them to what it asks. */
  wanted_scopes: string | null;
  connected_by: string | null;
  connected_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** An authorization started by Connect, found by the SHA-256 of its `state`; completed once. */
export interface McpOAuthPendingTable {
  state_hash: string;
  org_id: string;
  mcp_server_id: string;
  code_verifier: Uint8Array;
  issuer: string;
  client_id: string;
  resource: string;
  as_metadata: JsonColumn<Record<string, unknown>>;
  scopes: Generated<string>;
  created_by: string | null;
  created_at: CreatedAt;
  expires_at: Timestamp;
  consumed_at: NullableTimestamp;
}

/** A dynamic client registration (RFC 7591), per org, issuer and redirect URI. */
export interface McpOAuthClientsTable {
  org_id: string;
  issuer: string;
  redirect_uri: string;
  client_id: string;
  client_secret: Uint8Array | null;
  kek_id: string | null;
  registration: JsonColumn<Record<string, unknown>>;
  created_at: CreatedAt;
}

export interface McpTool {
  name: string;
  description: string;
}

/**
 * A provider type's name (`cloudflare-ai-gateway`, …). The database checks its shape only: the
 * API's provider-type registry says which exist and what each one's `config` holds.
 */
export type ProviderType = string;

/** The provider type's config, checked by the API against that type's schema. */
export type ProviderConfig = Record<string, unknown>;

export interface ProvidersTable {
  id: Generated<string>;
  org_id: string;
  provider_type: ProviderType;
  kind: string;
  name: string;
  secret_ref: string | null;
  config: ColumnType<ProviderConfig, string, string>;
  needs_configuration: Generated<boolean>;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** The legacy `llm_*` and `model` columns live until the purge migration and are not used. */
export interface AgentsTable {
  id: Generated<string>;
  org_id: string;
  name: string;
  provider_id: string;
  model_id: string;
  instructions: Generated<string>;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface AgentMcpServersTable {
  agent_id: string;
  mcp_server_id: string;
}

/** The schema after the latest migration. */
export interface Database {
  orgs: OrgsTable;
  users: UsersTable;
  org_members: OrgMembersTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  secrets: SecretsTable;
  secret_versions: SecretVersionsTable;
  secret_grants: SecretGrantsTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  audit_keys: AuditKeysTable;
  audit_checkpoints: AuditCheckpointsTable;
  rate_limits: RateLimitsTable;
  infra_secrets: InfraSecretsTable;
  mcp_servers: McpServersTable;
  providers: ProvidersTable;
  agents: AgentsTable;
  agent_mcp_servers: AgentMcpServersTable;
  mcp_oauth_connections: McpOAuthConnectionsTable;
  mcp_oauth_pending: McpOAuthPendingTable;
  mcp_oauth_clients: McpOAuthClientsTable;
}

export type SecretRow = Selectable<SecretsTable>;
export type NewSecretRow = Insertable<SecretsTable>;
export type AuditRow = Selectable<AuditLogTable>;
