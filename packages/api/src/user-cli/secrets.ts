import { type Command, InvalidArgumentError, Option } from 'commander';
import { readSecretInput } from '../core/stdin';
import { withClient } from './connect';
import { findSecret, secretId } from './lookup';
import { type OutputOptions, printJson, printResult, printTable } from './output';

interface Scoped extends OutputOptions {
  namespace: string;
}

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a version number (1, 2, …)');
  return n;
};

const namespaceOption = () => new Option('--namespace <namespace>', 'the namespace').default('default');
const jsonOption = () => new Option('--json', 'print JSON');

/** A value from standard input: never argv, where `ps` and shell history would keep it. */
async function readValue(): Promise<string> {
  const value = await readSecretInput('value: ');
  if (value === '') throw new Error('no value on standard input');
  return value;
}

/** `strongroom secrets list|get|set|delete|reveal|versions|rollback`, over HTTP as the logged-in user. */
export function registerSecretCommands(secrets: Command): void {
  secrets
    .command('list')
    .description('list secrets (names and metadata, never values)')
    .option('--namespace <namespace>', 'only this namespace')
    .addOption(new Option('--scope <scope>', 'only this scope').choices(['org', 'agent']))
    .option('--search <text>', 'names or descriptions containing this text')
    .addOption(jsonOption())
    .action((opts: { namespace?: string; scope?: 'org' | 'agent'; search?: string } & OutputOptions) =>
      withClient(async (sr) => {
        const items = [];
        let cursor: string | undefined;
        do {
          const page = await sr.secrets.list.query({
            ...(opts.namespace ? { namespace: opts.namespace } : {}),
            ...(opts.scope ? { scope: opts.scope } : {}),
            ...(opts.search ? { search: opts.search } : {}),
            ...(cursor ? { cursor } : {}),
            limit: 200,
          });
          items.push(...page.items);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        printTable(
          opts,
          items,
          ['NAME', 'NAMESPACE', 'SCOPE', 'VERSION', 'UPDATED', 'USED BY'],
          items.map((s) => [
            s.name,
            s.namespace,
            s.scope,
            s.version,
            s.updatedAt.slice(0, 19).replace('T', ' '),
            s.usedBy.map((u) => u.name).join(', ') || null,
          ]),
        );
      }),
    );

  secrets
    .command('get <secret>')
    .description('show one secret’s metadata (by name, or by id)')
    .addOption(namespaceOption())
    .addOption(jsonOption())
    .action((ref: string, opts: Scoped) =>
      withClient(async (sr) => {
        const s = await sr.secrets.get.query({ id: await secretId(sr, opts.namespace, ref) });
        printTable(
          opts,
          s,
          [],
          [
            ['name', s.name],
            ['namespace', s.namespace],
            ['scope', s.scope],
            ['description', s.description || null],
            ['version', s.version],
            ['id', s.id],
            ['created', s.createdAt],
            ['updated', s.updatedAt],
            ['rotated', s.rotatedAt],
            ['used by', s.usedBy.map((u) => `${u.type} ${u.name}`).join(', ') || null],
          ],
        );
      }),
    );

  secrets
    .command('set <name>')
    .description('create a secret, or store a new version of it, with the value read from standard input')
    .addOption(namespaceOption())
    .addOption(new Option('--scope <scope>', 'scope of a new secret').choices(['org', 'agent']))
    .option('--description <text>', 'a description')
    .addOption(jsonOption())
    .addHelpText('after', '\nExample: printf %s "$KEY" | strongroom secrets set OPENAI_API_KEY --namespace prod')
    .action((name: string, opts: Scoped & { scope?: 'org' | 'agent'; description?: string }) =>
      withClient(async (sr) => {
        const value = await readValue();
        const existing = await findSecret(sr, opts.namespace, name);
        if (existing && opts.scope && opts.scope !== existing.scope) {
          throw new Error(`"${name}" is an ${existing.scope}-scope secret; its scope cannot change`);
        }
        const description = opts.description === undefined ? {} : { description: opts.description };
        const saved = existing
          ? await sr.secrets.update.mutate({ id: existing.id, value, ...description })
          : await sr.secrets.create.mutate({
              name,
              value,
              namespace: opts.namespace,
              scope: opts.scope ?? 'org',
              ...description,
            });
        printResult(
          opts,
          saved,
          `${existing ? 'updated' : 'created'} ${saved.namespace}/${saved.name} (version ${saved.version})`,
        );
      }),
    );

  secrets
    .command('delete <secret>')
    .description('delete a secret and its history')
    .addOption(namespaceOption())
    .addOption(jsonOption())
    .action((ref: string, opts: Scoped) =>
      withClient(async (sr) => {
        const deleted = await sr.secrets.delete.mutate({ id: await secretId(sr, opts.namespace, ref) });
        printResult(opts, deleted, `deleted ${opts.namespace}/${ref}`);
      }),
    );

  secrets
    .command('reveal <secret>')
    .description('print a secret’s value (audited, rate-limited)')
    .addOption(namespaceOption())
    .option('--reason <text>', 'why, for the audit log')
    .addOption(jsonOption())
    .action((ref: string, opts: Scoped & { reason?: string }) =>
      withClient(async (sr) => {
        const id = await secretId(sr, opts.namespace, ref);
        const revealed = await sr.secrets.reveal.mutate({ id, ...(opts.reason ? { reason: opts.reason } : {}) });
        if (opts.json) return printJson(revealed);
        // Exactly the value when piped; a newline only for a person at a terminal.
        process.stdout.write(process.stdout.isTTY ? `${revealed.value}\n` : revealed.value);
      }),
    );

  secrets
    .command('versions <secret>')
    .description('list a secret’s versions')
    .addOption(namespaceOption())
    .addOption(jsonOption())
    .action((ref: string, opts: Scoped) =>
      withClient(async (sr) => {
        const versions = await sr.secrets.versions.query({ id: await secretId(sr, opts.namespace, ref) });
        printTable(
          opts,
          versions,
          ['VERSION', 'CREATED', 'CREATED BY'],
          versions.map((v) => [v.version, v.createdAt, v.createdBy]),
        );
      }),
    );

  secrets
    .command('rollback <secret>')
    .description('store an earlier version’s value as a new version')
    .addOption(namespaceOption())
    .requiredOption('--to <version>', 'the version to go back to', positiveInt)
    .addOption(jsonOption())
    .action((ref: string, opts: Scoped & { to: number }) =>
      withClient(async (sr) => {
        const id = await secretId(sr, opts.namespace, ref);
        const saved = await sr.secrets.rollback.mutate({ id, toVersion: opts.to });
        printResult(
          opts,
          saved,
          `rolled ${saved.namespace}/${saved.name} back to version ${opts.to}: now version ${saved.version}`,
        );
      }),
    );
}
