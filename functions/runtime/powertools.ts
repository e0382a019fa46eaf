import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ParsedResult } from '@aws-lambda-powertools/parser/types';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { MiddlewareObj, MiddyfiedHandler } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { validationError } from '../../shared/validation';

/**
 * Logger, Metrics and Tracer, built once per container and shared by every handler in the bundle
 * (the layout of Powertools' own example app). The service name comes from
 * `POWERTOOLS_SERVICE_NAME`, which the CDK app sets per function (`shadowscale-<id>`); the
 * metrics namespace from `POWERTOOLS_METRICS_NAMESPACE`. Outside Lambda (tests, the local run)
 * the defaults apply and Powertools' dev mode keeps metrics and traces off.
 */
export const DEFAULT_SERVICE_NAME = 'shadowscale';
export const DEFAULT_METRICS_NAMESPACE = 'Shadowscale';

export const serviceName = process.env.POWERTOOLS_SERVICE_NAME || DEFAULT_SERVICE_NAME;
export const logger = new Logger({ serviceName });
/**
 * Metrics' own warnings (an invocation that flushed nothing, say) go through the Logger: JSON
 * with the invocation's context in CloudWatch, and silent where `POWERTOOLS_LOG_LEVEL` is SILENT
 * (the CLI, the tests) instead of a bare console line.
 */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || DEFAULT_METRICS_NAMESPACE,
  serviceName,
  logger,
});
export const tracer = new Tracer({ serviceName });

/** An SDK v3 client with X-Ray subsegments per call (unchanged when tracing is off). */
export function traced<C>(client: C): C {
  return tracer.captureAWSv3Client(client);
}

/**
 * The event the parser middleware produced with `safeParse: true`, or the ValidationError that
 * names the bad field and its value. The middleware parses in `safeParse` mode because a task
 * called by Step Functions must *throw* our named error for Retry/Catch to match: the
 * middleware's own failure is a `ParseError`, and rethrowing from its `errorHandler` would skip
 * the other middlewares' `onError` (the error log, the metrics flush, the trace's fault).
 */
export function parsedOrThrow<T>(event: ParsedResult<unknown, T>, what: string): T {
  if (event.success) return event.data;
  const cause = event.error.cause;
  const issues = Array.isArray(cause) ? (cause as z.core.$ZodIssue[]) : [];
  throw validationError(what, issues, event.originalEvent, event.error);
}

/** What the Lambda runtime calls: any JSON event in, the handler's result out. */
export type LambdaEntry<R> = (event: unknown, context: Context) => Promise<R>;

/**
 * A middy handler as the Lambda runtime calls it. middy types the handler by the event its
 * parser middleware *produces*; the runtime (and a test, or the local run) passes the raw event,
 * which that middleware validates before the handler sees it.
 */
export function entry<E, R>(handler: MiddyfiedHandler<E, R>): LambdaEntry<R> {
  return handler as unknown as LambdaEntry<R>;
}

/**
 * Counts a failed invocation as `metric`, so a handler that throws still publishes an
 * application metric (and Powertools has something to flush). Use it after `logMetrics`: middy
 * runs `onError` in reverse order, so this one adds its count before logMetrics flushes.
 */
export function countFailures(metric: string): MiddlewareObj {
  return {
    onError: () => {
      metrics.addMetric(metric, MetricUnit.Count, 1);
    },
  };
}
