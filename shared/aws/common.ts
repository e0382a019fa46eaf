import type { Tag } from '@aws-sdk/client-ecs';
import { ConfigError, TransientError } from '../errors';
import type { Workload } from '../schemas/workload';

/**
 * Map what an AWS SDK v3 call throws after the SDK's own retries: throttling, 5xx and network
 * timeouts become TransientError (the state machine retries them with backoff); anything else is
 * rethrown unchanged so its name (AccessDenied, ValidationError...) reaches the Catch.
 */
export function awsFailure(error: unknown, what: string): Error {
  if (!(error instanceof Error)) return new TransientError(`${what}: ${String(error)}`, { cause: error });
  const meta = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  const retryable = (error as { $retryable?: unknown }).$retryable;
  const status = meta?.httpStatusCode ?? 0;
  const transient =
    /Throttl|TooManyRequests|RequestLimitExceeded|ServiceUnavailable|InternalFailure|InternalError|ServerException|TimeoutError|ECONNRESET|ETIMEDOUT|EPIPE/i.test(
      `${error.name} ${(error as { code?: string }).code ?? ''}`,
    ) ||
    status === 429 ||
    status >= 500 ||
    retryable !== undefined;
  return transient ? new TransientError(`${what}: ${error.name}: ${error.message}`, { cause: error }) : error;
}

export const MANAGED_TAG = 'shadowscale:managed';
export const WORKLOAD_TAG = 'shadowscale:workload';

/** Tags on everything Shadowscale creates; IAM scopes its writes to `shadowscale:managed=true`. */
export function managedTags(workload: Workload): { key: string; value: string }[] {
  return [
    { key: MANAGED_TAG, value: 'true' },
    { key: WORKLOAD_TAG, value: workload.workloadId },
  ];
}

/**
 * Whether a tag of a primary may be copied onto the shadow we create: not ours (we set those),
 * and not one AWS reserves. Keys beginning with `aws:` (any case) are set by AWS itself
 * (CloudFormation, for one) and every create/tag call refuses them.
 * https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions
 */
export function isCopyableTagKey(key: string | undefined): key is string {
  return key !== undefined && !key.startsWith('shadowscale:') && !key.toLowerCase().startsWith('aws:');
}

/** Refuse to change or delete something Shadowscale did not create. */
export function assertManaged(tags: readonly Tag[] | undefined, what: string): void {
  if (!tags?.some((t) => t.key === MANAGED_TAG && t.value === 'true')) {
    throw new ConfigError(`${what} exists but is not tagged ${MANAGED_TAG}=true; refusing to manage it`);
  }
}
