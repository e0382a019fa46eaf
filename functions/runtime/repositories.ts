import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Clock } from '../../shared/clock';
import { makeDynamoRepositories } from '../../shared/data/repositories';
import { type TableNames, tableNamesFromEnv } from '../../shared/data/tables';
import type { Repositories } from '../../shared/ports/repositories';
import { clock, overrides } from './index';
import { traced } from './powertools';

/**
 * The DynamoDB repositories for handlers, built once per container on first use (not at import,
 * so a handler that never touches DynamoDB pays nothing, and a misconfigured table name fails the
 * invocation that needs it with a ConfigError rather than the cold start).
 *
 * Table names come from the environment the CDK app sets (`SHADOWSCALE_<NAME>_TABLE`, else
 * `${SHADOWSCALE_TABLE_PREFIX ?? 'shadowscale'}-<name>`); endpoint, region and credentials come
 * from the SDK's own configuration (`AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL` honoured).
 * `setRuntime({ repositories })` (functions/runtime/index.ts) wins over all of this.
 */
let cachedClient: DynamoDBClient | undefined;
let cachedRepositories: Repositories | undefined;
let cachedNames: TableNames | undefined;

/** Reads the runtime clock on every call, so `setRuntime({ clock })` applies after construction. */
const runtimeClock: Clock = { now: () => clock().now() };

/** The one DynamoDB client of this container (shared with the idempotency layer). */
export function dynamoDbClient(): DynamoDBClient {
  cachedClient ??= traced(new DynamoDBClient({}));
  return cachedClient;
}

/** Physical table names for this container, from the environment. */
export function tableNames(): TableNames {
  cachedNames ??= tableNamesFromEnv(process.env);
  return cachedNames;
}

export function repositories(): Repositories {
  if (overrides.repositories) return overrides.repositories;
  cachedRepositories ??= makeDynamoRepositories({
    client: dynamoDbClient(),
    names: tableNames(),
    clock: runtimeClock,
  });
  return cachedRepositories;
}

/** Forget the lazily built client and repositories (tests that change the environment). */
export function resetRepositoriesCache(): void {
  cachedClient?.destroy();
  cachedClient = undefined;
  cachedRepositories = undefined;
  cachedNames = undefined;
}
