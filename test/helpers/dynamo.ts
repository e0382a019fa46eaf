import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startLocalDynamo } from '../../shared/data/local-server';
import { createTables, deleteTables, type TableNames, tableNamesFromPrefix } from '../../shared/data/tables';

/**
 * A DynamoDB endpoint for one integration suite, with its own uniquely named tables.
 *
 * When `AWS_ENDPOINT_URL_DYNAMODB` (or `AWS_ENDPOINT_URL`) is set the suite runs against that
 * server (LocalStack, DynamoDB Local, any compatible endpoint); otherwise it starts dynalite in
 * process on a random loopback port. Either way `afterAll` deletes the tables, destroys the
 * client and stops the server it started, so jest exits by itself with nothing left running.
 */
export interface DynamoTestEnv {
  client: DynamoDBClient;
  names: TableNames;
  endpoint: string;
  /** True when the suite runs against an endpoint given by the environment. */
  external: boolean;
  /**
   * Which server answers: dynalite in process, AWS's DynamoDB Local (the `dynamodb-local` jest
   * project), or any other endpoint from the environment.
   */
  backend: DynamoBackend;
}

export type DynamoBackend = 'dynalite' | 'dynamodb-local' | 'other';

/** Servers known to enforce DynamoDB's 400 KB item limit exactly as the service counts it. */
export function enforcesItemLimitExactly(backend: DynamoBackend): boolean {
  return backend === 'dynalite' || backend === 'dynamodb-local';
}

export function externalDynamoEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env.AWS_ENDPOINT_URL_DYNAMODB ?? env.AWS_ENDPOINT_URL;
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** A table prefix no other suite (or other run against a shared endpoint) uses. */
export function uniqueTablePrefix(label = 'test'): string {
  return `sstest-${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/**
 * Register beforeAll/afterAll in the calling describe block; the returned function gives the
 * environment inside tests. Table creation waits for ACTIVE (seconds on a real server).
 */
export function useDynamo(label = 'test'): () => DynamoTestEnv {
  let env: DynamoTestEnv | undefined;
  let stopServer: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const external = externalDynamoEndpoint();
    let endpoint: string;
    if (external) {
      endpoint = external;
    } else {
      const server = await startLocalDynamo();
      stopServer = () => server.stop();
      endpoint = server.endpoint;
    }
    const client = new DynamoDBClient({
      endpoint,
      region: process.env.AWS_REGION ?? 'us-east-1',
      // A local server answers at once; a few retries are enough and keep failures quick.
      maxAttempts: 3,
    });
    const names = tableNamesFromPrefix(uniqueTablePrefix(label));
    const backend: DynamoBackend =
      external === undefined
        ? 'dynalite'
        : process.env.SHADOWSCALE_TEST_DYNAMODB_BACKEND === 'dynamodb-local'
          ? 'dynamodb-local'
          : 'other';
    env = { client, names, endpoint, external: external !== undefined, backend };
    await createTables(client, names);
  }, 180_000);

  afterAll(async () => {
    try {
      if (env) await deleteTables(env.client, env.names);
    } finally {
      env?.client.destroy();
      await stopServer?.();
    }
  }, 180_000);

  return () => {
    if (!env) throw new Error('useDynamo: the environment is only available inside tests');
    return env;
  };
}
