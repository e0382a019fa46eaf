/**
 * One error module for the whole product. Step Functions `Retry`/`Catch` match on the error
 * *name* a Lambda task throws (the `errorType` of the failed invocation), so every class sets a
 * stable `name` equal to its class name, and tasks throw rather than return failure payloads.
 */
export interface ShadowscaleErrorOptions {
  cause?: unknown;
}

export class ShadowscaleError extends Error {
  override readonly name: string = 'ShadowscaleError';
  constructor(message: string, options: ShadowscaleErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

/** One problem found while validating input: where it is, what was wrong, what was given. */
export interface ValidationIssue {
  path: string;
  message: string;
  received?: unknown;
}

/** Input (event, execution input, CLI flag, config, file) failed its schema. Never retried. */
export class ValidationError extends ShadowscaleError {
  override readonly name: string = 'ValidationError';
  readonly issues: readonly ValidationIssue[];
  constructor(
    message: string,
    issues: readonly ValidationIssue[] = [],
    options: ShadowscaleErrorOptions = {},
  ) {
    super(message, options);
    this.issues = issues;
  }
}

/** A conditional write lost: a stale version, or an item that changed under us. */
export class ConflictError extends ShadowscaleError {
  override readonly name: string = 'ConflictError';
}

/** Another operation holds the workload lease. */
export class LeaseHeldError extends ShadowscaleError {
  override readonly name: string = 'LeaseHeldError';
  readonly workloadId: string;
  readonly holder: string;
  readonly expiresAt: number;
  constructor(workloadId: string, holder: string, expiresAt: number, options: ShadowscaleErrorOptions = {}) {
    super(
      `workload ${workloadId} is leased by operation ${holder} until ${new Date(expiresAt).toISOString()}`,
      options,
    );
    this.workloadId = workloadId;
    this.holder = holder;
    this.expiresAt = expiresAt;
  }
}

/** A record that should exist does not (workload, prediction, operation, pool). */
export class NotFoundError extends ShadowscaleError {
  override readonly name: string = 'NotFoundError';
}

/** An item would exceed DynamoDB's 400 KB limit. */
export class ItemTooLargeError extends ShadowscaleError {
  override readonly name: string = 'ItemTooLargeError';
}

/** The metrics source has no data for a query. Distinct from a zero: never read as "healthy". */
export class NoDataError extends ShadowscaleError {
  override readonly name: string = 'NoDataError';
}

/** Input series cannot be forecast (no numeric values, unknown interval, too short). */
export class ForecastInputError extends ShadowscaleError {
  override readonly name: string = 'ForecastInputError';
}

/** Weights read back from a router differ from the ones just written. */
export class WeightMismatchError extends ShadowscaleError {
  override readonly name: string = 'WeightMismatchError';
}

/** A health gate failed (errors, latency or unhealthy hosts past the workload's thresholds). */
export class GateFailedError extends ShadowscaleError {
  override readonly name: string = 'GateFailedError';
}

/** A health gate saw no data yet: retried a bounded number of times, never a pass. */
export class GateNoDataError extends ShadowscaleError {
  override readonly name: string = 'GateNoDataError';
}

/** A pool did not become ready/healthy in time. */
export class ProvisioningTimeoutError extends ShadowscaleError {
  override readonly name: string = 'ProvisioningTimeoutError';
}

/** A pool is not yet ready/healthy; the state machine waits and polls again. */
export class NotReadyError extends ShadowscaleError {
  override readonly name: string = 'NotReadyError';
}

/** A transient failure of a dependency (throttling, 5xx, timeouts): safe to retry. */
export class TransientError extends ShadowscaleError {
  override readonly name: string = 'TransientError';
}

/** Configuration (environment, context, registry) is missing or wrong. */
export class ConfigError extends ShadowscaleError {
  override readonly name: string = 'ConfigError';
}

/** A migration plan cannot be made (stateful workload, shadow pools disabled, no forecast). */
export class PlanRejectedError extends ShadowscaleError {
  override readonly name: string = 'PlanRejectedError';
}

/** The smoke test named in the workload definition failed against the shadow pool. */
export class SmokeTestFailedError extends ShadowscaleError {
  override readonly name: string = 'SmokeTestFailedError';
}

/** Weight was about to go to a target group with no healthy target: refused. */
export class NoHealthyTargetsError extends ShadowscaleError {
  override readonly name: string = 'NoHealthyTargetsError';
}

/** A rerun found its operation already finished: nothing left to do. */
export class OperationClosedError extends ShadowscaleError {
  override readonly name: string = 'OperationClosedError';
}

/** Error names that a state machine may safely retry. Kept beside the classes so they agree. */
export const RETRYABLE_ERROR_NAMES = ['TransientError', 'ConflictError'] as const;

export function isShadowscaleError(error: unknown): error is ShadowscaleError {
  return error instanceof ShadowscaleError;
}

/** A one-line description of any thrown value, for logs and CLI output. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
