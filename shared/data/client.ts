import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransientError, ValidationError } from '../errors';

/**
 * The document client every repository uses. Numbers: forecasts may exceed 2^53 (bytes, request
 * counts summed over a fleet), which the SDK refuses by default; DynamoDB keeps 38 significant
 * digits, so we allow "imprecise" numbers on write and always read plain JS numbers back.
 */
export function documentClientFrom(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, allowImpreciseNumbers: true },
    unmarshallOptions: { wrapNumbers: (value: string) => Number(value) },
  });
}

export function isConditionFailed(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException'
  );
}

const TRANSIENT = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
]);

/**
 * Map what the SDK throws after its own retries: throttling and 5xx become TransientError, so a
 * state machine's Retry can match one name; everything else (including ConditionalCheckFailed,
 * which the callers handle) passes through unchanged.
 */
export function mapSdkError(error: unknown, what: string): unknown {
  const name = (error as { name?: unknown } | null)?.name;
  const code = (error as { code?: unknown } | null)?.code;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  if (
    (typeof name === 'string' && TRANSIENT.has(name)) ||
    (typeof code === 'string' && TRANSIENT.has(code)) ||
    (typeof status === 'number' && status >= 500)
  ) {
    const message = error instanceof Error ? error.message : String(error);
    return new TransientError(`${what}: ${String(name ?? code)}: ${message}`, { cause: error });
  }
  return error;
}

/** Opaque paging cursor: the DynamoDB key to start after, base64url JSON. */
export function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): Record<string, string | number> {
  const bad = () =>
    new ValidationError(`cursor ${JSON.stringify(cursor.slice(0, 40))} is not a cursor this list returned`, [
      { path: 'cursor', message: 'is not a valid cursor', received: cursor },
    ]);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw Object.assign(bad(), { cause: error });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad();
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0 || entries.some(([, v]) => typeof v !== 'string' && typeof v !== 'number'))
    throw bad();
  return value as Record<string, string | number>;
}
