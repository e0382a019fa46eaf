import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { type Clock, systemClock } from '../clock';
import type { Repositories } from '../ports/repositories';
import { type LocalDynamoOptions, startLocalDynamo } from './local-server';
import type { DataLayerOptions } from './records';
import { makeDynamoRepositories } from './repositories';
import { createTables, type TableNames, tableNamesFromEnv } from './tables';

export type { LocalDynamo, LocalDynamoOptions } from './local-server';
export type { DataLayerOptions } from './records';
export { DEFAULT_DATA_LAYER_OPTIONS, MAX_ITEM_BYTES } from './records';
export type { DynamoRepositoriesConfig } from './repositories';
export { makeDynamoRepositories } from './repositories';
export * from './tables';
export { startLocalDynamo };

export interface ConnectDynamoOptions {
  /** Table prefix (a CLI flag); per-table variables still win, as in `tableNamesFromEnv`. */
  tablePrefix?: string;
  env?: Readonly<Record<string, string | undefined>>;
  clock?: Clock;
  /**
   * An explicit endpoint (the local run passes dynalite's). Absent: the SDK's own configuration
   * decides (`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL`, profile, region).
   */
  endpoint?: string;
  clientConfig?: DynamoDBClientConfig;
  dataLayer?: DataLayerOptions;
}

export interface DynamoConnection {
  client: DynamoDBClient;
  names: TableNames;
  repositories: Repositories;
  /** Destroy the client (its keep-alive sockets would otherwise hold the process open). */
  close(): void;
}

/** A client, the table names and the repositories, for the CLI, the local run and scripts. */
export function connectDynamo(options: ConnectDynamoOptions = {}): DynamoConnection {
  const names = tableNamesFromEnv(options.env ?? process.env, options.tablePrefix);
  const client = new DynamoDBClient({
    ...options.clientConfig,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
  const repositories = makeDynamoRepositories({
    client,
    names,
    clock: options.clock ?? systemClock,
    ...(options.dataLayer ? { options: options.dataLayer } : {}),
  });
  return { client, names, repositories, close: () => client.destroy() };
}

export interface LocalDataLayerOptions extends LocalDynamoOptions {
  /** Table prefix for the local tables; default `shadowscale-local`. */
  tablePrefix?: string;
  clock?: Clock;
  dataLayer?: DataLayerOptions;
}

export interface LocalDataLayer extends DynamoConnection {
  endpoint: string;
  /** Destroy the client and stop the server (tables persist only with `dir`). */
  stop(): Promise<void>;
}

/**
 * dynalite in process with every table created (existing ones kept, for `--keep-db`), and the
 * repositories over it: the whole data layer of the local run in one call.
 */
export async function openLocalDataLayer(options: LocalDataLayerOptions = {}): Promise<LocalDataLayer> {
  const server = await startLocalDynamo({
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.dir !== undefined ? { dir: options.dir } : {}),
  });
  const connection = connectDynamo({
    env: {},
    tablePrefix: options.tablePrefix ?? 'shadowscale-local',
    endpoint: server.endpoint,
    // dynalite accepts any credentials; fixed ones keep the local run off the user's AWS profile.
    clientConfig: { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.dataLayer ? { dataLayer: options.dataLayer } : {}),
  });
  try {
    await createTables(connection.client, connection.names);
  } catch (error) {
    connection.close();
    await server.stop();
    throw error;
  }
  return {
    ...connection,
    endpoint: server.endpoint,
    async stop() {
      connection.close();
      await server.stop();
    },
  };
}
