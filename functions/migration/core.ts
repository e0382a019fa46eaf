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

/** The input schema of each task (what the state machine passes it). */
export const TASK_INPUTS = {
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

/** One task: the schema of its state input and the typed function that runs it. */
export interface Task<T> {
  /** What the input is called in a ValidationError ("gate task input"). */
  what: string;
  schema: z.ZodType<T>;
  run: (input: T) => Promise<unknown>;
}

function task<T>(name: keyof typeof TASK_INPUTS, schema: z.ZodType<T>, run: Task<T>['run']): Task<T> {
  return { what: `${name} task input`, schema, run };
}

type In<K extends keyof typeof TASK_INPUTS> = z.infer<(typeof TASK_INPUTS)[K]>;

/**
 * One named function per task: each Lambda entry passes its own (index.ts), so what a function
 * can call — and so what it is granted — is read from its own code (test/infra/grants.test.ts).
 */
export const validateTask = (i: In<'validate'>) => validateInput(migrationDeps(), i);
export const leaseTask = (i: In<'acquireLease'>) => acquireLease(migrationDeps(), i);
export const planTask = async (i: In<'plan'>) => {
  const planned = await planOperation(migrationDeps(), i);
  return { plan: planned.plan, cursor: planned.cursor };
};
export const provisionTask = (i: In<'provision'>) => provisionShadow(migrationDeps(), i);
export const healthyTask = (i: In<'checkHealthy'>) => checkHealthy(migrationDeps(), i);
export const smokeTask = (i: In<'smokeTest'>) => smokeTest(migrationDeps(), i);
export const shiftTask = (i: In<'shift'>) => shiftWeights(migrationDeps(), i);
export const gateTask = (i: In<'gate'>) => runGate(migrationDeps(), i);
export const decommissionTask = (i: In<'decommission'>) => decommissionShadow(migrationDeps(), i);
export const succeedTask = (i: In<'recordSuccess'>) => recordSuccess(migrationDeps(), i);
export const undoTask = (i: In<'compensate'>) => compensate(migrationDeps(), i);

/** Every task, keyed as the handlers are named; index.ts wraps each in middleware. */
export const TASKS = {
  validate: task('validate', TASK_INPUTS.validate, validateTask),
  lease: task('acquireLease', TASK_INPUTS.acquireLease, leaseTask),
  plan: task('plan', TASK_INPUTS.plan, planTask),
  provision: task('provision', TASK_INPUTS.provision, provisionTask),
  healthy: task('checkHealthy', TASK_INPUTS.checkHealthy, healthyTask),
  smoke: task('smokeTest', TASK_INPUTS.smokeTest, smokeTask),
  shift: task('shift', TASK_INPUTS.shift, shiftTask),
  gate: task('gate', TASK_INPUTS.gate, gateTask),
  decommission: task('decommission', TASK_INPUTS.decommission, decommissionTask),
  succeed: task('recordSuccess', TASK_INPUTS.recordSuccess, succeedTask),
  undo: task('compensate', TASK_INPUTS.compensate, undoTask),
};

/** A task as a function of the raw state input (the local run's task overrides). */
function fromUnknown<T>(t: Task<T>): TaskFn {
  return (input) => t.run(parseOrThrow(t.schema, input, t.what));
}

export const validate = fromUnknown(TASKS.validate);
export const lease = fromUnknown(TASKS.lease);
export const plan = fromUnknown(TASKS.plan);
export const provision = fromUnknown(TASKS.provision);
export const healthy = fromUnknown(TASKS.healthy);
export const smoke = fromUnknown(TASKS.smoke);
export const shift = fromUnknown(TASKS.shift);
export const gate = fromUnknown(TASKS.gate);
export const decommission = fromUnknown(TASKS.decommission);
export const succeed = fromUnknown(TASKS.succeed);
export const undo = fromUnknown(TASKS.undo);
