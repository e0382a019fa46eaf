import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { type Clock, systemClock } from '../../clock';
import type { Repositories } from '../../ports/repositories';
import type { DataLayerOptions } from './records';
import { makeDynamoRepositories } from './repositories';
import { type TableNames, tableNamesFromEnv } from './tables';

export type { LocalDynamo, LocalDynamoOptions } from './local-server';
export { startLocalDynamo } from './local-server';
export type { DataLayerOptions } from './records';
export { DEFAULT_DATA_LAYER_OPTIONS, MAX_ITEM_BYTES } from './records';
export type { DynamoRepositoriesConfig } from './repositories';
export { makeDynamoRepositories } from './repositories';
export * from './tables';

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
