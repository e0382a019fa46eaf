import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { z } from 'zod';
import {
  countFailures,
  entry,
  type LambdaEntry,
  logger,
  metrics,
  parsedOrThrow,
  tracer,
} from '../runtime/powertools';
import {
  decommissionTask,
  gateTask,
  healthyTask,
  leaseTask,
  planTask,
  provisionTask,
  shiftTask,
  smokeTask,
  succeedTask,
  TASK_INPUTS,
  undoTask,
  validateTask,
} from './core';

/**
 * Lambda entry points of the shadow-pool tasks (one bundle, one exported handler per function;
 * see manifest.ts). Middleware first, handler last; the parser middleware reads the state input
 * with the task's schema, and a task failure is *thrown* so the state machine's Retry/Catch match
 * its name (see parsedOrThrow for why the parser runs in safeParse mode).
 */
function lambda<T>(
  name: string,
  input: keyof typeof TASK_INPUTS,
  schema: z.ZodType<T>,
  run: (input: T) => Promise<unknown>,
): LambdaEntry<unknown> {
  const what = `${input} task input`;
  const handler = middy()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(countFailures(`MigrationTask${name}Failed`))
    .use(captureLambdaHandler(tracer))
    .use(parser({ schema, safeParse: true }))
    .handler(async (event) => {
      logger.appendKeys({ task: name });
      const result = await run(parsedOrThrow(event, what));
      metrics.addMetric(`MigrationTask${name}`, MetricUnit.Count, 1);
      return result;
    });
  return entry(handler);
}

export const validateHandler = lambda('Validate', 'validate', TASK_INPUTS.validate, validateTask);
export const leaseHandler = lambda('AcquireLease', 'acquireLease', TASK_INPUTS.acquireLease, leaseTask);
export const planHandler = lambda('Plan', 'plan', TASK_INPUTS.plan, planTask);
export const provisionHandler = lambda('Provision', 'provision', TASK_INPUTS.provision, provisionTask);
export const healthyHandler = lambda('CheckHealthy', 'checkHealthy', TASK_INPUTS.checkHealthy, healthyTask);
export const smokeHandler = lambda('SmokeTest', 'smokeTest', TASK_INPUTS.smokeTest, smokeTask);
export const shiftHandler = lambda('Shift', 'shift', TASK_INPUTS.shift, shiftTask);
export const gateHandler = lambda('Gate', 'gate', TASK_INPUTS.gate, gateTask);
export const decommissionHandler = lambda(
  'Decommission',
  'decommission',
  TASK_INPUTS.decommission,
  decommissionTask,
);
export const succeedHandler = lambda(
  'RecordSuccess',
  'recordSuccess',
  TASK_INPUTS.recordSuccess,
  succeedTask,
);
export const compensateHandler = lambda('Compensate', 'compensate', TASK_INPUTS.compensate, undoTask);
