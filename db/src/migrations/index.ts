import type { Migration, MigrationProvider } from 'kysely/migration';
import * as legacyPlatform from './2025-03-01T00-00-00-legacy-platform';
import * as secretsStore from './2026-11-01T00-00-00-secrets-store';
import * as providerCatalog from './2026-11-10T00-00-00-provider-catalog';
import * as infraSecrets from './2026-11-15T00-00-00-infra-secrets';
import * as writeOnlyAndRotation from './2026-11-16T00-00-00-write-only-and-rotation';
import * as dropLegacyCredentials from './2026-11-20T00-00-00-drop-legacy-credentials';
import * as oidcIdentities from './2026-12-01T01-00-00-oidc-identities';
import * as keyedAudit from './2026-12-01T02-00-00-keyed-audit';
import * as mcpOauth from './2026-12-01T03-00-00-mcp-oauth';
import * as providerTypesOpen from './2026-12-01T10-00-00-provider-types-open';
import * as auditAppendAtHead from './2026-12-01T11-00-00-audit-append-at-head';
import * as auditIdsTimeOrdered from './2026-12-01T12-00-00-audit-ids-time-ordered';

/**
 * Every migration, by name. Listed statically (not read from the directory) so the same list
 * runs under tsx, vitest and a bundler; Kysely sorts them by the ISO-timestamp prefix.
 */
export const migrations: Readonly<Record<string, Migration>> = Object.freeze({
  '2025-03-01T00-00-00-legacy-platform': legacyPlatform,
  '2026-11-01T00-00-00-secrets-store': secretsStore,
  '2026-11-10T00-00-00-provider-catalog': providerCatalog,
  '2026-11-15T00-00-00-infra-secrets': infraSecrets,
  // Before the purge on purpose: a server waiting on the MCP token backfill still reads these columns.
  '2026-11-16T00-00-00-write-only-and-rotation': writeOnlyAndRotation,
  '2026-11-20T00-00-00-drop-legacy-credentials': dropLegacyCredentials,
  '2026-12-01T01-00-00-oidc-identities': oidcIdentities,
  '2026-12-01T02-00-00-keyed-audit': keyedAudit,
  '2026-12-01T03-00-00-mcp-oauth': mcpOauth,
  '2026-12-01T10-00-00-provider-types-open': providerTypesOpen,
  '2026-12-01T11-00-00-audit-append-at-head': auditAppendAtHead,
  '2026-12-01T12-00-00-audit-ids-time-ordered': auditIdsTimeOrdered,
});

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => ({ ...migrations }),
};

/** Name of the first migration: the platform's schema before Strongroom. */
export const LEGACY_MIGRATION = '2025-03-01T00-00-00-legacy-platform';

/** The last migration that keeps the legacy credential columns (dual read still possible). */
export const BEFORE_LEGACY_PURGE = '2026-11-15T00-00-00-infra-secrets';
