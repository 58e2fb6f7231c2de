import { createStrongroomClient } from '@strongroom/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setInfraSecret } from '../infra-secrets/service';
import { expectTRPCError } from '../../test/support/expect-error';
import { createTestApp, startTestServer, type TestApp } from '../../test/support/harness';

/** What a runtime uses to re-check its cache: versions of secrets and infra secrets, and change events. */
let app: TestApp;
let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  app = await createTestApp();
  server = await startTestServer(app);
});
afterAll(async () => {
  await server.close();
  await app.close();
});

describe('internal.secretVersions', () => {
  it('answers for the 1,000 ids it accepts, through the typed client over HTTP', async () => {
    const admin = app.caller(app.orgA.adminToken);
    const { id } = await admin.secrets.create({ name: 'one-of-many', value: 'v', scope: 'agent' });
    await admin.secrets.update({ id, value: 'w' });
    const ids = [id, ...Array.from({ length: 999 }, () => crypto.randomUUID())];
    const worker = createStrongroomClient({ url: server.url, token: app.orgA.workerToken });
    expect(await worker.internal.secretVersions.query({ orgId: app.orgA.orgId, ids })).toEqual({ [id]: 2 });
    // As a GET the same call does not fit in a request line (why the client sends it as POST).
    const input = encodeURIComponent(JSON.stringify({ orgId: app.orgA.orgId, ids }));
    const asGet = await fetch(`${server.url}/trpc/internal.secretVersions?input=${input}`, {
      headers: { authorization: `Bearer ${app.orgA.workerToken}` },
    });
    expect(asGet.status).toBe(431);
  });
});

describe('infra secrets for runtimes', () => {
  it('internal.infraSecretVersions tells current versions, to workers only', async () => {
    await setInfraSecret(app.deps, 'versioned-infra', 'one');
    await setInfraSecret(app.deps, 'versioned-infra', 'two');
    const worker = app.caller(app.orgA.workerToken);
    expect(await worker.internal.infraSecretVersions({ names: ['versioned-infra', 'absent'] })).toEqual({
      'versioned-infra': 2,
    });
    await expectTRPCError(
      app.caller(app.orgA.adminToken).internal.infraSecretVersions({ names: ['versioned-infra'] }),
      'FORBIDDEN',
    );
  });

  it('a new infra secret version is published to the runtimes of every org', async () => {
    const received = new Map<string, unknown[]>();
    const subs = await Promise.all(
      [app.orgA, app.orgB].map(
        (org) =>
          new Promise<{ unsubscribe(): void }>((resolve, reject) => {
            const events: unknown[] = [];
            received.set(org.orgId, events);
            const client = createStrongroomClient({ url: server.url, token: org.workerToken });
            const sub = client.internal.events.subscribe(
              { orgId: org.orgId },
              { onStarted: () => resolve(sub), onData: (e) => events.push(e), onError: reject },
            );
          }),
      ),
    );
    try {
      const { version } = await setInfraSecret(app.deps, 'ai-gateway-token', 'rotated-gateway-token');
      const deadline = Date.now() + 3_000;
      while ([...received.values()].some((e) => e.length === 0) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      for (const events of received.values()) {
        expect(events).toEqual([{ type: 'infra_secret.changed', name: 'ai-gateway-token', version }]);
      }
    } finally {
      for (const sub of subs) sub.unsubscribe();
    }
  });
});
