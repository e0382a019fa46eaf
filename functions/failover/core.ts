import { z } from 'zod';
import { RegionalContext, RegionalPlan } from '../../shared/failover/input';
import {
  acquireRegionalLease,
  checkDestination,
  compensateRegional,
  gateRegion,
  planRegional,
  type RegionalCursor,
  type RegionalDeps,
  raiseStandby,
  recordRegionalSuccess,
  shiftRegions,
  validateRegional,
} from '../../shared/failover/tasks';
import { TrafficWeights } from '../../shared/schemas/operation';
import { parseOrThrow } from '../../shared/validation';
import { clock } from '../runtime';
import { events } from '../runtime/events';
import { regions } from '../runtime/regions';
import { repositories } from '../runtime/repositories';
import { regionalHealth, standby } from '../runtime/standby';

/**
 * The regional failover/failback tasks as plain functions of the state input: parse what the state
 * machine passes (a mismatch names the field), resolve ports from functions/runtime, call one
 * function of shared/failover/tasks. index.ts wraps them as Lambda handlers; local.ts runs them
 * as aws-local-stepfunctions task overrides.
 */
export type TaskFn = (input: unknown) => Promise<unknown>;

export function regionalDeps(): RegionalDeps {
  return {
    clock: clock(),
    repositories: repositories(),
    events: events(),
    regions: regions(),
    standby: standby(),
    health: regionalHealth(),
  };
}

const Kind = z.enum(['failover', 'failback']);
const Ids = { workloadId: z.string().min(1), operationId: z.string().min(1) };
const CursorSchema = z.strictObject({
  index: z.number().int().nonnegative(),
  percent: z.number().int(),
  next: z.number().int().nonnegative(),
  last: z.boolean(),
  weights: TrafficWeights,
  regionWeights: z.record(z.string(), z.number().int()),
  waitSeconds: z.number().int().nonnegative(),
  noData: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  decision: z.enum(['pending', 'pass', 'retry']),
  reasons: z.array(z.string()),
}) satisfies z.ZodType<RegionalCursor>;

const schemas = {
  validate: z.strictObject({ input: z.unknown(), executionName: z.string().min(1), kind: Kind }),
  lease: RegionalContext.pick({ workloadId: true, operationId: true, kind: true, reason: true }),
  plan: RegionalContext.pick({ workloadId: true, operationId: true, kind: true, overrides: true }),
  raise: z.strictObject({ ...Ids, plan: RegionalPlan }),
  check: z.strictObject({ ...Ids, plan: RegionalPlan, polls: z.number().int().nonnegative() }),
  shift: z.strictObject({ ...Ids, plan: RegionalPlan, index: z.number().int().nonnegative() }),
  gate: z.strictObject({ ...Ids, plan: RegionalPlan, cursor: CursorSchema }),
  succeed: z.strictObject({ ...Ids, plan: RegionalPlan }),
  compensate: z.strictObject({
    ...Ids,
    kind: Kind,
    error: z.looseObject({ Error: z.string().optional(), Cause: z.unknown().optional() }),
  }),
};

function parse<K extends keyof typeof schemas>(task: K, input: unknown): z.infer<(typeof schemas)[K]> {
  return parseOrThrow(schemas[task], input, `${task} task input`) as z.infer<(typeof schemas)[K]>;
}

export const validate: TaskFn = (input) => validateRegional(regionalDeps(), parse('validate', input));
export const lease: TaskFn = (input) => acquireRegionalLease(regionalDeps(), parse('lease', input));
export const plan: TaskFn = (input) => planRegional(regionalDeps(), parse('plan', input));
export const raise: TaskFn = (input) => raiseStandby(regionalDeps(), parse('raise', input));
export const check: TaskFn = (input) => checkDestination(regionalDeps(), parse('check', input));
export const shift: TaskFn = (input) => shiftRegions(regionalDeps(), parse('shift', input));
export const gate: TaskFn = (input) => gateRegion(regionalDeps(), parse('gate', input));
export const succeed: TaskFn = (input) => recordRegionalSuccess(regionalDeps(), parse('succeed', input));
export const undo: TaskFn = (input) => compensateRegional(regionalDeps(), parse('compensate', input));
