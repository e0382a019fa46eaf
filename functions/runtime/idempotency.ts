import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { TABLES } from '../../shared/data/tables';
import { dynamoDbClient, tableNames } from './repositories';

/**
 * Idempotency for handlers that Step Functions or EventBridge may retry: Powertools Idempotency
 * with its DynamoDB persistence layer on the idempotency table (key `id`, TTL `expiration`, the
 * layer's defaults, matching `TABLES.idempotency`). Built lazily, once per container, on the same
 * DynamoDB client as the repositories; `setIdempotencyPersistence` installs another layer (the
 * local run and tests point it at dynalite, or any BasePersistenceLayer).
 *
 * No handler uses it today: each event-started handler is idempotent by what it writes (README,
 * "Retries and duplicates"), and the CDK app deploys the idempotency table only when a function's
 * manifest is granted it. A handler that wraps itself with `idempotent` must ask for
 * `idempotency: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem']` (the grant test in
 * test/infra reads the persistence layer from the code and refuses a manifest without it).
 *
 * Usage in a handler module:
 *   export const handler = idempotent(async (event: In, context: Context) => ..., {
 *     eventKeyJmesPath: 'operationId', expiresAfterSeconds: 3600 });
 * A retry with the same key returns the first result without running the function again; a
 * concurrent duplicate fails with IdempotencyAlreadyInProgressError (retryable).
 */
let override: BasePersistenceLayer | undefined;
let cached: BasePersistenceLayer | undefined;

export function idempotencyPersistence(): BasePersistenceLayer {
  if (override) return override;
  cached ??= dynamoIdempotencyPersistence(dynamoDbClient(), tableNames().idempotency);
  return cached;
}

/** The DynamoDB layer on a given client and table (the local run passes its dynalite client). */
export function dynamoIdempotencyPersistence(
  client: DynamoDBClient,
  tableName: string,
): BasePersistenceLayer {
  return new DynamoDBPersistenceLayer({
    tableName,
    keyAttr: TABLES.idempotency.partitionKey.name,
    ...(TABLES.idempotency.ttlAttribute ? { expiryAttr: TABLES.idempotency.ttlAttribute } : {}),
    awsSdkV3Client: client,
  });
}

/** Install a persistence layer (tests, local run); `undefined` goes back to the DynamoDB one. */
export function setIdempotencyPersistence(layer: BasePersistenceLayer | undefined): void {
  override = layer;
}

/** Forget the override and the lazily built layer. */
export function resetIdempotency(): void {
  override = undefined;
  cached = undefined;
}

export interface IdempotentOptions {
  /** JMESPath into the first argument selecting what makes two calls "the same"; default the whole payload. */
  eventKeyJmesPath?: string;
  /** How long a result is replayed; default 3600 s. */
  expiresAfterSeconds?: number;
  /** Namespace of the keys; default the Lambda function name (set it in tests). */
  keyPrefix?: string;
  /** Throw when the key path selects nothing, instead of running without idempotency; default true. */
  throwOnNoIdempotencyKey?: boolean;
}

/**
 * Wrap `fn` so a retried call with the same key returns the first result. The persistence layer
 * is resolved on each call (not at import), so overrides installed after import apply.
 */
export function idempotent<In, Out>(
  fn: (input: In, context: Context) => Promise<Out>,
  options: IdempotentOptions = {},
): (input: In, context: Context) => Promise<Out> {
  const config = new IdempotencyConfig({
    ...(options.eventKeyJmesPath ? { eventKeyJmesPath: options.eventKeyJmesPath } : {}),
    expiresAfterSeconds: options.expiresAfterSeconds ?? 3_600,
    throwOnNoIdempotencyKey: options.throwOnNoIdempotencyKey ?? true,
  });
  let wrapped:
    | { layer: BasePersistenceLayer; run: (input: In, context: Context) => Promise<Out> }
    | undefined;
  return (input, context) => {
    const layer = idempotencyPersistence();
    if (wrapped?.layer !== layer) {
      const run = makeIdempotent(fn, {
        persistenceStore: layer,
        config,
        ...(options.keyPrefix ? { keyPrefix: options.keyPrefix } : {}),
      });
      wrapped = { layer, run };
    }
    return wrapped.run(input, context);
  };
}
