import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';

/**
 * Whether a Docker engine answers. testcontainers is imported lazily: without an engine
 * `getContainerRuntimeClient()` rejects in milliseconds, and the tests fall back to the KMS wire
 * server.
 * @example describe.skipIf(!(await dockerAvailable()))('against LocalStack', () => { … });
 */
export async function dockerAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

export interface LocalStackKms {
  readonly url: string;
  createKey(): Promise<string>;
  close(): Promise<void>;
}

/**
 * LocalStack's KMS in a container (testcontainers), for machines with a Docker engine.
 * @example const kms = await startLocalStackKms(); const arn = await kms.createKey(); await kms.close();
 */
export async function startLocalStackKms(): Promise<LocalStackKms> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer('localstack/localstack:3')
    .withEnvironment({ SERVICES: 'kms' })
    .withExposedPorts(4566)
    .withWaitStrategy(Wait.forLogMessage('Ready.'))
    .start();
  const url = `http://${container.getHost()}:${container.getMappedPort(4566)}`;
  const client = new KMSClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    url,
    async createKey() {
      const out = await client.send(new CreateKeyCommand({}));
      return out.KeyMetadata!.Arn!;
    },
    async close() {
      client.destroy();
      await container.stop();
    },
  };
}
