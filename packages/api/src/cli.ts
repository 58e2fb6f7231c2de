import { Command, InvalidArgumentError } from 'commander';
import type { Logger } from 'pino';
import { openDeps, prepareDatabase } from './app';
import { loadConfig } from './core/config';
import { createLogger } from './core/logger';
import { withOperatorDeps } from './operator';
import { registerAuditCommands } from './audit/commands';
import { registerBackfillCommands } from './backfill/commands';
import { registerInfraSecretCommands } from './infra-secrets/commands';
import { registerKekCommands } from './kek/commands';
import { bootstrapIfEmpty, createOrg, createWorkerToken } from './orgs/service';
import { buildServer } from './server';
import { registerUserCommands } from './user-cli';

/** Stop waiting for in-flight requests after this long on SIGTERM. */
const SHUTDOWN_GRACE_MS = 10_000;

const uuid = (value: string) => {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
    throw new InvalidArgumentError('expected a UUID');
  }
  return value;
};

async function serve(): Promise<void> {
  const config = loadConfig(process.env);
  const log: Logger = createLogger(config.logLevel);
  const deps = await openDeps(config, log);
  await prepareDatabase(deps);
  const created = await bootstrapIfEmpty(deps);
  if (created) {
    console.log('First start: created org "default". These tokens are shown once; keep them safe.');
    console.log(`admin token: ${created.adminToken}`);
    console.log(`worker token: ${created.workerToken}`);
  }
  const app = await buildServer(deps);

  // Handlers go in before the address is printed: whoever reads it may signal at once.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      log.warn('shutdown grace period over; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    await app.close();
    await deps.storage.close();
    clearTimeout(force);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  const address = await app.listen({ port: config.port, host: config.host });
  console.log(`Strongroom is serving on ${address}`);
}

const program = new Command('strongroom')
  .description('Strongroom: secrets for an AI-agent platform')
  .showHelpAfterError();

program.command('serve').description('run the API server and admin console (what `npm start` runs)').action(serve);

program
  .command('migrate')
  .description('run pending database migrations and exit')
  .action(() =>
    withOperatorDeps(async (_deps, prepared) => {
      for (const name of prepared.applied) console.log(`applied ${name}`);
      if (prepared.sealed) console.log(`sealed ${prepared.sealed} legacy plaintext secret(s)`);
      if (prepared.blocked) console.log(`waiting: ${prepared.blocked.name}\n  ${prepared.blocked.reason}`);
      else console.log('migrations are up to date');
    }),
  );

program
  .command('org')
  .description('manage orgs')
  .command('create <name>')
  .description('create an org with one admin and print its id and the admin token')
  .option('--admin-email <email>', 'email of the first admin', 'admin@strongroom.local')
  .action((name: string, opts: { adminEmail: string }) =>
    withOperatorDeps(async (deps) => {
      const org = await createOrg(deps, { name, adminEmail: opts.adminEmail });
      console.log(`org: ${org.orgId}`);
      console.log(`admin token: ${org.adminToken}`);
    }),
  );

program
  .command('token')
  .description('manage API tokens')
  .command('create')
  .description('create a worker token for an org')
  .requiredOption('--org <id>', 'org id', uuid)
  .requiredOption('--kind <kind>', 'token kind (worker)', (v) => {
    if (v !== 'worker')
      throw new InvalidArgumentError('only worker tokens are created here; user tokens come from members.add');
    return v;
  })
  .option('--name <name>', 'a label for the token', 'runtime')
  .action((opts: { org: string; name: string }) =>
    withOperatorDeps(async (deps) => {
      const exists = await deps.db.selectFrom('orgs').select('id').where('id', '=', opts.org).executeTakeFirst();
      if (!exists) throw new Error(`org ${opts.org} not found`);
      const { token } = await createWorkerToken(deps, opts.org, opts.name);
      console.log(`token: ${token}`);
    }),
  );

registerKekCommands(program);
registerInfraSecretCommands(program);
registerBackfillCommands(program);
registerAuditCommands(program);
registerUserCommands(program);

program.parseAsync().catch((err: unknown) => {
  console.error(`strongroom: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
