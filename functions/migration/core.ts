import { z } from 'zod';
import { smokeRunner } from '../../shared/aws/http-smoke';
import { RunContext } from '../../shared/migration/input';
import { MigrationPlan } from '../../shared/migration/plan';
import {
  acquireLease,
  type Cursor,
  checkHealthy,
  compensate,
  decommissionShadow,
  type MigrationDeps,
  planOperation,
  provisionShadow,
  recordSuccess,
  runGate,
  shiftWeights,
  smokeTest,
  validateInput,
} from '../../shared/migration/tasks';
import { TrafficWeights } from '../../shared/schemas/operation';
import { parseOrThrow } from '../../shared/validation';
import { clock } from '../runtime';
import { compute } from '../runtime/compute';
import { events } from '../runtime/events';
import { health } from '../runtime/health';
import { repositories } from '../runtime/repositories';
import { traffic } from '../runtime/traffic';

/**
 * The shadow-pool tasks as plain functions of the state input: each parses what the state machine
 * passes (a mismatch is a ValidationError naming the field), resolves its ports from
 * functions/runtime (AWS adapters, or whatever `setRuntime` installed) and calls one function of
 * shared/migration/tasks. The Lambda handlers in index.ts wrap these; the local run calls them
 * directly as aws-local-stepfunctions task overrides (see local.ts).
 */
export type TaskFn = (input: unknown) => Promise<unknown>;

export function migrationDeps(): MigrationDeps {
  return {
    clock: clock(),
    repositories: repositories(),
    events: events(),
    compute: compute(),
    traffic: traffic(),
    health: health(),
    smoke: smokeRunner(),
  };
}

const Kind = z.enum(['migration', 'return']);
const Ids = { workloadId: z.string().min(1), operationId: z.string().min(1) };
const CursorSchema = z.strictObject({
  index: z.number().int().nonnegative(),
  percent: z.number().int(),
  next: z.number().int().nonnegative(),
  last: z.boolean(),
  weights: TrafficWeights,
  noData: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  decision: z.enum(['pending', 'pass', 'retry']),
  reasons: z.array(z.string()),
}) satisfies z.ZodType<Cursor>;

const schemas = {
  validate: z.strictObject({ input: z.unknown(), executionName: z.string().min(1), kind: Kind }),
  acquireLease: RunContext.pick({ workloadId: true, operationId: true, kind: true, reason: true }),
  plan: RunContext.pick({ workloadId: true, operationId: true, kind: true, overrides: true }),
  provision: z.strictObject({ ...Ids, plan: MigrationPlan }),
  checkHealthy: z.strictObject({ ...Ids, plan: MigrationPlan, polls: z.number().int().nonnegative() }),
  smokeTest: z.strictObject(Ids),
  shift: z.strictObject({ ...Ids, plan: MigrationPlan, index: z.number().int().nonnegative() }),
  gate: z.strictObject({ ...Ids, plan: MigrationPlan, cursor: CursorSchema }),
  decommission: z.strictObject(Ids),
  recordSuccess: z.strictObject({ ...Ids, plan: MigrationPlan }),
  compensate: z.strictObject({
    ...Ids,
    kind: Kind,
    error: z.looseObject({ Error: z.string().optional(), Cause: z.unknown().optional() }),
  }),
};

function parse<K extends keyof typeof schemas>(task: K, input: unknown): z.infer<(typeof schemas)[K]> {
  return parseOrThrow(schemas[task], input, `${task} task input`) as z.infer<(typeof schemas)[K]>;
}

export const validate: TaskFn = (input) => validateInput(migrationDeps(), parse('validate', input));
export const lease: TaskFn = (input) => acquireLease(migrationDeps(), parse('acquireLease', input));
export const plan: TaskFn = async (input) => {
  const planned = await planOperation(migrationDeps(), parse('plan', input));
  return { plan: planned.plan, cursor: planned.cursor };
};
export const provision: TaskFn = (input) => provisionShadow(migrationDeps(), parse('provision', input));
export const healthy: TaskFn = (input) => checkHealthy(migrationDeps(), parse('checkHealthy', input));
export const smoke: TaskFn = (input) => smokeTest(migrationDeps(), parse('smokeTest', input));
export const shift: TaskFn = (input) => shiftWeights(migrationDeps(), parse('shift', input));
export const gate: TaskFn = (input) => runGate(migrationDeps(), parse('gate', input));
export const decommission: TaskFn = (input) =>
  decommissionShadow(migrationDeps(), parse('decommission', input));
export const succeed: TaskFn = (input) => recordSuccess(migrationDeps(), parse('recordSuccess', input));
export const undo: TaskFn = (input) => compensate(migrationDeps(), parse('compensate', input));
