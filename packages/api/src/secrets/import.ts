import { randomUUID } from 'node:crypto';
import type { Database } from '@strongroom/db';
import { parse as parseDotenv } from 'dotenv';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { appendAudit } from '../audit/service';
import { auditActor } from '../core/actor';
import type { Call } from '../core/call';
import { AppError, badInput } from '../core/errors';
import { isStorableText } from '../core/schemas';
import {
  type ImportFormat,
  type importInput,
  type importOutput,
  type ImportStatus,
  MAX_IMPORT_ENTRIES,
  secretName,
  secretValue,
} from './schemas';
import { createSecretIn, updateLockedSecret } from './service';
import { findSecretsByName, openSecret, sealSecret } from './store';

/** One name and value read from an import. */
export interface ImportEntry {
  name: string;
  value: string;
}

/** How a name shows in an error: `line 3 ("API_KEY")` for a .env file, `key "API_KEY"` for JSON. */
type Locate = (name: string) => string;

const quoted = (name: string) => JSON.stringify(isStorableText(name) ? name.slice(0, 64) : '?');

/** The line a .env name is assigned on, for errors: dotenv's `parse` reports no positions. */
function dotenvLocator(content: string): Locate {
  const lines = content.split(/\r\n|\r|\n/);
  return (name) => {
    const at = lines.findIndex((line) => {
      const start = line.trimStart().replace(/^export\s+/, '');
      return start.startsWith(name) && /^\s*[=:]/.test(start.slice(name.length));
    });
    return at < 0 ? quoted(name) : `line ${at + 1} (${quoted(name)})`;
  };
}

function parseJson(content: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    // The parser's own message quotes the content, which may hold values: never pass it on.
    throw badInput('content', 'content is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw badInput('content', 'content must be a JSON object of names to string values, e.g. {"API_KEY": "…"}');
  return parsed as Record<string, unknown>;
}

/**
 * Reads the names and values of an import (dotenv's own parser, or JSON `{ name: value }`) and
 * holds each to the rules of `secrets.create`. Any fault is BAD_REQUEST on `content` naming the
 * line or key and never quoting a value, before anything is written.
 * @example parseImport('dotenv', 'API_KEY=sk-1\n') // [{ name: 'API_KEY', value: 'sk-1' }]
 */
export function parseImport(format: ImportFormat, content: string): ImportEntry[] {
  const pairs: Record<string, unknown> = format === 'dotenv' ? parseDotenv(content) : parseJson(content);
  const names = Object.keys(pairs);
  if (names.length === 0)
    throw badInput('content', format === 'dotenv' ? 'content has no NAME=value lines' : 'content has no entries');
  if (names.length > MAX_IMPORT_ENTRIES)
    throw badInput('content', `content has ${names.length} entries; an import takes at most ${MAX_IMPORT_ENTRIES}`);
  const locate: Locate = format === 'dotenv' ? dotenvLocator(content) : (name) => `key ${quoted(name)}`;
  return names.map((raw) => {
    const name = secretName.safeParse(raw);
    if (!name.success || name.data !== raw)
      throw badInput(
        'content',
        `${locate(raw)}: the name ${name.error?.issues[0]?.message ?? 'has surrounding spaces'}`,
      );
    const value = pairs[raw];
    if (typeof value !== 'string') throw badInput('content', `${locate(raw)}: the value must be a string`);
    const checked = secretValue.safeParse(value);
    if (!checked.success) throw badInput('content', `${locate(raw)}: the value ${checked.error.issues[0]!.message}`);
    return { name: raw, value };
  });
}

/** What a name already holds: its value, or `hidden` for a write-only secret (never compared). */
export type Current = { value: string } | 'hidden';

/**
 * The status of each entry against what the namespace holds. A write-only secret's value is not
 * compared, so an import can't be used to test guesses of it: it always counts as changed.
 */
export function classifyImport(
  entries: readonly ImportEntry[],
  current: ReadonlyMap<string, Current>,
  onConflict: 'skip' | 'update' | 'fail',
): { name: string; status: ImportStatus }[] {
  return entries.map(({ name, value }) => {
    const held = current.get(name);
    if (held === undefined) return { name, status: 'created' };
    if (held !== 'hidden' && held.value === value) return { name, status: 'unchanged' };
    return { name, status: onConflict === 'update' ? 'updated' : onConflict === 'skip' ? 'skipped' : 'conflict' };
  });
}

/** What each name of the namespace holds now, read (and locked, for a real run) with `db`. */
async function currentValues(call: Call, db: Kysely<Database>, namespace: string, names: string[], lock: boolean) {
  const rows = await findSecretsByName(db, call.actor.orgId, namespace, names, { lock });
  const current = new Map<string, Current>();
  for (const row of rows) {
    current.set(
      row.name,
      !row.revealable || !row.value
        ? 'hidden'
        : {
            value: await openSecret(
              call.deps,
              { orgId: row.org_id, secretId: row.id, version: row.version },
              row.value,
            ),
          },
    );
  }
  return { rows: new Map(rows.map((row) => [row.name, row])), current };
}

const conflictError = (results: { name: string; status: ImportStatus }[]) => {
  const names = results.filter((r) => r.status === 'conflict').map((r) => JSON.stringify(r.name));
  const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
  return new AppError(
    'CONFLICT',
    `${shown} already ${names.length === 1 ? 'holds' : 'hold'} a different value; nothing was imported (choose onConflict "skip" or "update")`,
    { reason: 'IMPORT_CONFLICT', details: { results } },
  );
};

/**
 * `secrets.import`: parses and checks every entry first, then, in one transaction, creates the
 * new names and sets the changed ones through the same functions as `secrets.create` and
 * `secrets.update` (their audit rows included), and writes one `secret.import` row. A dry run
 * answers the same results and writes nothing. All or nothing: any failure writes nothing.
 */
export async function importSecrets(
  call: Call,
  input: z.output<typeof importInput>,
): Promise<z.output<typeof importOutput>> {
  const entries = parseImport(input.format, input.content);
  const names = entries.map((e) => e.name);
  if (input.dryRun) {
    const { current } = await currentValues(call, call.deps.db, input.namespace, names, false);
    return { applied: false, results: classifyImport(entries, current, input.onConflict) };
  }
  return call.deps.db.transaction().execute(async (trx) => {
    const { rows, current } = await currentValues(call, trx, input.namespace, names, true);
    const results = classifyImport(entries, current, input.onConflict);
    if (results.some((r) => r.status === 'conflict')) throw conflictError(results);
    for (const [i, { name, value }] of entries.entries()) {
      const status = results[i]!.status;
      if (status === 'created') {
        const sealed = await sealSecret(
          call.deps,
          { orgId: call.actor.orgId, secretId: randomUUID(), version: 1 },
          value,
        );
        await createSecretIn(call, trx, sealed, {
          name,
          namespace: input.namespace,
          scope: input.scope,
          description: '',
          revealable: true,
          rotationPeriodDays: null,
        });
      } else if (status === 'updated') {
        const row = rows.get(name)!;
        await updateLockedSecret(call, trx, row, { id: row.id, value });
      }
    }
    const counts = { created: 0, updated: 0, unchanged: 0, skipped: 0 };
    for (const r of results) if (r.status !== 'conflict') counts[r.status] += 1;
    await appendAudit(trx, call.deps.auditKeys, auditActor(call.actor, call.requestId), {
      action: 'secret.import',
      metadata: {
        namespace: input.namespace,
        scope: input.scope,
        format: input.format,
        onConflict: input.onConflict,
        counts,
      },
    });
    return { applied: true, results };
  });
}
