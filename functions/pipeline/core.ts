import { z } from 'zod';
import { smokeRunner } from '../../shared/aws/http-smoke';
import { MigrationPlan } from '../../shared/migration/plan';
import { checkHealthy, decommissionShadow } from '../../shared/migration/tasks';
import { PipelineContext } from '../../shared/pipeline/input';
import {
  beginDeployment,
  checkPrimaryStable,
  deployPrimary,
  discardDeployment,
  finishDeployment,
  type PipelineDeps,
  planBranch,
  planMerge,
  predictStage,
  provisionBranch,
  type RecordedForecast,
  recordTests,
  startTests,
  validatePipelineInput,
} from '../../shared/pipeline/tasks';
import { parseOrThrow } from '../../shared/validation';
import { TASK_INPUTS, type TaskFn } from '../migration/core';
import { clock } from '../runtime';
import { branchCompute, versions } from '../runtime/compute';
import { events } from '../runtime/events';
import { health } from '../runtime/health';
import { repositories } from '../runtime/repositories';
import { tests } from '../runtime/tests';
import { traffic } from '../runtime/traffic';

/**
 * The pipeline-branch tasks as plain functions of the state input: parse what the state machine
 * passes (a mismatch is a ValidationError naming the field), resolve the ports from
 * functions/runtime, call one function of shared/pipeline/tasks. The Lambda handlers (index.ts)
 * wrap these; local runs call them directly as task overrides (local.ts).
 */
export function pipelineDeps(): PipelineDeps {
  return {
    clock: clock(),
    repositories: repositories(),
    events: events(),
    // ECS services, or on EKS the nodegroups with the cluster's Kubernetes objects.
    compute: branchCompute(),
    traffic: traffic(),
    health: health(),
    smoke: smokeRunner(),
    versions: versions(),
    tests: tests(),
  };
}

const Ids = { workloadId: z.string().min(1), operationId: z.string().min(1) };
const Forecast = z.looseObject({
  branch: z.boolean(),
  score: z.number(),
  reason: z.string(),
  reasonCode: z.string(),
});
const Rollout = z.strictObject({
  polls: z.number().int().nonnegative(),
  maxPolls: z.number().int().positive(),
  waitSeconds: z.number().int().nonnegative(),
  stable: z.boolean(),
});

const schemas = {
  validate: z.strictObject({ input: z.unknown() }),
  predict: PipelineContext,
  begin: z.strictObject({ ctx: PipelineContext, forecast: Forecast }),
  plan: PipelineContext,
  provision: z.strictObject({ ...Ids, version: z.string().min(1), plan: MigrationPlan }),
  startTests: z.strictObject({
    ...Ids,
    taskToken: z.string().min(1),
    stage: z.string().min(1),
    version: z.string().min(1),
    timeoutSeconds: z.number().int().positive(),
    heartbeatSeconds: z.number().int().positive(),
  }),
  recordTests: z.strictObject({ operationId: z.string().min(1), result: z.unknown().optional() }),
  deployPrimary: z.strictObject({ ...Ids, version: z.string().min(1) }),
  primaryStable: z.strictObject({ ...Ids, version: z.string().min(1), rollout: Rollout }),
  planMerge: z.strictObject(Ids),
  finish: z.strictObject({ ...Ids, outcome: z.enum(['merged', 'deployed']) }),
  discard: z.strictObject({
    ...Ids,
    error: z.looseObject({ Error: z.string().optional(), Cause: z.unknown().optional() }),
  }),
};

function parse<K extends keyof typeof schemas>(task: K, input: unknown): z.infer<(typeof schemas)[K]> {
  return parseOrThrow(schemas[task], input, `${task} task input`) as z.infer<(typeof schemas)[K]>;
}

export const validate: TaskFn = (input) => validatePipelineInput(pipelineDeps(), parse('validate', input));
export const predict: TaskFn = (input) => predictStage(pipelineDeps(), parse('predict', input));
export const begin: TaskFn = (input) => {
  const parsed = parse('begin', input);
  return beginDeployment(pipelineDeps(), { ctx: parsed.ctx, forecast: parsed.forecast as RecordedForecast });
};
export const plan: TaskFn = (input) => planBranch(pipelineDeps(), parse('plan', input));
export const provision: TaskFn = (input) => provisionBranch(pipelineDeps(), parse('provision', input));
export const startTestRun: TaskFn = (input) => startTests(pipelineDeps(), parse('startTests', input));
export const testsPassed: TaskFn = (input) => recordTests(pipelineDeps(), parse('recordTests', input));
export const primary: TaskFn = (input) => deployPrimary(pipelineDeps(), parse('deployPrimary', input));
export const primaryStable: TaskFn = (input) =>
  checkPrimaryStable(pipelineDeps(), parse('primaryStable', input));
export const merge: TaskFn = (input) => planMerge(pipelineDeps(), parse('planMerge', input));
export const finish: TaskFn = (input) => finishDeployment(pipelineDeps(), parse('finish', input));
export const discard: TaskFn = (input) => discardDeployment(pipelineDeps(), parse('discard', input));

/**
 * The shadow environment's readiness poll and its decommission on merge: the migration's task
 * logic over this capability's pools, so on EKS they see the shadow Deployment's rollout and
 * delete the shadow Kubernetes objects with the nodegroup.
 */
export const shadowHealthy: TaskFn = (input) =>
  checkHealthy(pipelineDeps(), parseOrThrow(TASK_INPUTS.checkHealthy, input, 'checkHealthy task input'));
export const decommission: TaskFn = (input) =>
  decommissionShadow(
    pipelineDeps(),
    parseOrThrow(TASK_INPUTS.decommission, input, 'decommission task input'),
  );
