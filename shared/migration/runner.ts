import type { TrafficWeights } from '../schemas/operation';
import type { RunContext } from './input';
import type { MigrationPlan } from './plan';
import {
  acquireLease,
  type CompensationResult,
  type Cursor,
  checkHealthy,
  compensate,
  decommissionShadow,
  type HealthPoll,
  type MigrationDeps,
  planOperation,
  provisionShadow,
  recordSuccess,
  runGate,
  shiftWeights,
  smokeTest,
  validateInput,
} from './tasks';

/**
 * The shadow-pool state machines run in process, in the order their ASL files define, over the
 * same task functions the Lambdas run (`./tasks`). The backtest drives the deployed loop with it
 * (an ASL interpreter per operation would cost more than the whole replay); `npm start` runs the
 * ASL files themselves, and a test holds the two together: the transition tables here are checked
 * against the ASL files' Next / Choices / Catch, and the decisions of both runs are compared.
 *
 * Waits take simulated time: a Wait state sets `resumeAt`, and `advance(now)` runs states until
 * the next Wait that ends after `now`, or the end. Retries take no time (as in the local run).
 */

export type OperationKind = 'migration' | 'return';

interface Data {
  ctx?: RunContext;
  run?: { plan: MigrationPlan; cursor: { next: number } | Cursor };
  poll?: Pick<HealthPoll, 'polls' | 'ready' | 'waitSeconds'>;
  error?: { Error: string; Cause: string };
  compensation?: CompensationResult;
  result?: { status: 'succeeded'; weights: TrafficWeights };
}

type Deps = MigrationDeps;

/** One state: a task (then `next`), a wait (seconds, then `next`), a choice, or an end. */
export type FlowState =
  | {
      type: 'Task';
      run: (deps: Deps, data: Data, input: RunInput) => Promise<void>;
      next: string;
      /** Error name → state, in ASL order; `States.ALL` catches everything else. */
      catch: readonly (readonly [string, string])[];
      /** Error names retried at once (the ASL's Retry ErrorEquals), at most `retries` times. */
      retry: readonly string[];
    }
  | { type: 'Wait'; seconds: (data: Data) => number; next: string }
  | { type: 'Choice'; choose: (data: Data) => string; choices: readonly string[]; default: string }
  | { type: 'Pass'; apply: (data: Data) => void; next: string }
  | { type: 'Succeed' }
  | { type: 'Fail'; error: (data: Data) => string };

export interface RunInput {
  input: unknown;
  executionName: string;
}

/** Retries per Task state before its Catch applies (the ASL's largest MaxAttempts). */
const RETRIES = 12;

const RETRYABLE = ['TransientError', 'ConflictError'];
const LEASE_RETRYABLE = [...RETRYABLE, 'LeaseHeldError'];
const WEIGHT_RETRYABLE = [...RETRYABLE, 'WeightMismatchError'];
const COMPENSATE: readonly (readonly [string, string])[] = [['States.ALL', 'Compensate']];

function ctx(data: Data): RunContext {
  if (!data.ctx) throw new Error('state machine data has no ctx');
  return data.ctx;
}
function run(data: Data): NonNullable<Data['run']> {
  if (!data.run) throw new Error('state machine data has no run');
  return data.run;
}
const ids = (data: Data) => ({ workloadId: ctx(data).workloadId, operationId: ctx(data).operationId });

/** The states both flows share, in the ASL files' order. */
function common(kind: OperationKind): Record<string, FlowState> {
  return {
    ...openingStates(kind),
    ...healthStates(kind),
    ...shiftStates(kind),
    ...closingStates(kind),
  };
}

/** Validate the input, take the workload's lease, plan the operation. */
function openingStates(kind: OperationKind): Record<string, FlowState> {
  return {
    Validate: {
      type: 'Task',
      run: async (deps, data, input) => {
        data.ctx = await validateInput(deps, {
          input: input.input,
          executionName: input.executionName,
          kind,
        });
      },
      next: 'AcquireLease',
      catch: [
        ['ValidationError', 'InvalidInput'],
        ['States.ALL', 'ValidationUnavailable'],
      ],
      retry: RETRYABLE,
    },
    AcquireLease: {
      type: 'Task',
      run: async (deps, data) => {
        await acquireLease(deps, ctx(data));
      },
      next: 'Plan',
      catch: [
        ['LeaseHeldError', 'LeaseRefused'],
        ['OperationClosedError', 'AlreadyFinished'],
        ['ValidationError', 'InvalidInput'],
        ['States.ALL', 'Compensate'],
      ],
      retry: LEASE_RETRYABLE,
    },
    Plan: {
      type: 'Task',
      run: async (deps, data) => {
        const planned = await planOperation(deps, ctx(data));
        data.run = { plan: planned.plan, cursor: planned.cursor };
      },
      next: kind === 'migration' ? 'Provision' : 'HoldUntilCleared',
      catch: COMPENSATE,
      retry: RETRYABLE,
    },
  };
}

/** Poll the pool traffic is moving to until it is healthy. */
function healthStates(kind: OperationKind): Record<string, FlowState> {
  return {
    WaitUntilHealthy: { type: 'Wait', seconds: (d) => d.poll?.waitSeconds ?? 0, next: 'CheckHealthy' },
    CheckHealthy: {
      type: 'Task',
      run: async (deps, data) => {
        const poll = await checkHealthy(deps, {
          ...ids(data),
          plan: run(data).plan,
          polls: data.poll?.polls ?? 0,
        });
        data.poll = poll;
      },
      next: 'IsHealthy',
      catch: COMPENSATE,
      retry: RETRYABLE,
    },
    IsHealthy: {
      type: 'Choice',
      choose: (d) => (d.poll?.ready ? (kind === 'migration' ? 'SmokeTest' : 'Shift') : 'WaitUntilHealthy'),
      choices: [kind === 'migration' ? 'SmokeTest' : 'Shift'],
      default: 'WaitUntilHealthy',
    },
  };
}

/** One weight step, its bake and its health gate, until the last step passes. */
function shiftStates(kind: OperationKind): Record<string, FlowState> {
  return {
    Shift: {
      type: 'Task',
      run: async (deps, data) => {
        const r = run(data);
        r.cursor = await shiftWeights(deps, { ...ids(data), plan: r.plan, index: r.cursor.next });
      },
      next: 'Bake',
      catch: COMPENSATE,
      retry: WEIGHT_RETRYABLE,
    },
    Bake: { type: 'Wait', seconds: (d) => run(d).plan.bakeWaitSeconds, next: 'Gate' },
    Gate: {
      type: 'Task',
      run: async (deps, data) => {
        const r = run(data);
        r.cursor = await runGate(deps, { ...ids(data), plan: r.plan, cursor: r.cursor as Cursor });
      },
      next: 'GateDecision',
      catch: COMPENSATE,
      retry: RETRYABLE,
    },
    GateDecision: {
      type: 'Choice',
      choose: (d) => {
        const c = run(d).cursor as Cursor;
        if (c.decision === 'pass' && c.last) return kind === 'migration' ? 'RecordSuccess' : 'Decommission';
        if (c.decision === 'pass') return 'Shift';
        if (c.decision === 'retry') return 'GateRetryWait';
        return 'UnexpectedGateDecision';
      },
      choices: [kind === 'migration' ? 'RecordSuccess' : 'Decommission', 'Shift', 'GateRetryWait'],
      default: 'UnexpectedGateDecision',
    },
    GateRetryWait: { type: 'Wait', seconds: (d) => run(d).plan.gateRetrySeconds, next: 'Gate' },
    UnexpectedGateDecision: {
      type: 'Pass',
      apply: (d) => {
        d.error = { Error: 'UnexpectedGateDecision', Cause: String((run(d).cursor as Cursor).decision) };
      },
      next: 'Compensate',
    },
  };
}

/** Record the outcome, or compensate, and the named end states. */
function closingStates(kind: OperationKind): Record<string, FlowState> {
  return {
    RecordSuccess: {
      type: 'Task',
      run: async (deps, data) => {
        data.result = await recordSuccess(deps, { ...ids(data), plan: run(data).plan });
      },
      next: kind === 'migration' ? 'MigrationSucceeded' : 'ReturnSucceeded',
      catch: COMPENSATE,
      retry: RETRYABLE,
    },
    Compensate: {
      type: 'Task',
      run: async (deps, data) => {
        data.compensation = await compensate(deps, {
          ...ids(data),
          kind: ctx(data).kind,
          error: data.error ?? { Error: 'Unknown' },
        });
      },
      next: kind === 'migration' ? 'MigrationRolledBack' : 'ReturnRolledBack',
      catch: [['States.ALL', 'CompensationFailed']],
      retry: WEIGHT_RETRYABLE,
    },
    CompensationFailed: { type: 'Fail', error: (d) => d.error?.Error ?? 'CompensationFailed' },
    InvalidInput: { type: 'Fail', error: (d) => d.error?.Error ?? 'InvalidInput' },
    ValidationUnavailable: { type: 'Fail', error: (d) => d.error?.Error ?? 'ValidationUnavailable' },
    LeaseRefused: { type: 'Fail', error: () => 'LeaseHeldError' },
    AlreadyFinished: { type: 'Succeed' },
  };
}

/** `shadow-pool-migration.asl.json`, state by state. */
export const MIGRATION_FLOW: Readonly<Record<string, FlowState>> = {
  ...common('migration'),
  Provision: {
    type: 'Task',
    run: async (deps, data) => {
      data.poll = await provisionShadow(deps, { ...ids(data), plan: run(data).plan });
    },
    next: 'WaitUntilHealthy',
    catch: COMPENSATE,
    retry: RETRYABLE,
  },
  SmokeTest: {
    type: 'Task',
    run: async (deps, data) => {
      await smokeTest(deps, ids(data));
    },
    next: 'Shift',
    catch: COMPENSATE,
    retry: RETRYABLE,
  },
  MigrationSucceeded: { type: 'Succeed' },
  MigrationRolledBack: { type: 'Fail', error: () => 'MigrationRolledBack' },
};

/** `shadow-pool-return.asl.json`, state by state. */
export const RETURN_FLOW: Readonly<Record<string, FlowState>> = {
  ...common('return'),
  HoldUntilCleared: { type: 'Wait', seconds: (d) => run(d).plan.holdSeconds, next: 'StartPolls' },
  StartPolls: {
    type: 'Pass',
    apply: (d) => {
      d.poll = { polls: 0, ready: false, waitSeconds: 0 };
    },
    next: 'CheckHealthy',
  },
  Decommission: {
    type: 'Task',
    run: async (deps, data) => {
      await decommissionShadow(deps, ids(data));
    },
    next: 'RecordSuccess',
    catch: COMPENSATE,
    retry: RETRYABLE,
  },
  ReturnSucceeded: { type: 'Succeed' },
  ReturnRolledBack: { type: 'Fail', error: () => 'ReturnRolledBack' },
};

export const FLOWS: Readonly<Record<OperationKind, Readonly<Record<string, FlowState>>>> = {
  migration: MIGRATION_FLOW,
  return: RETURN_FLOW,
};

/** What a run reports as it goes (the local run narrates the same from the ASL interpreter). */
export type RunEvent =
  | { type: 'state-entered'; state: string; stateType: FlowState['type'] }
  | { type: 'shifted'; weights: TrafficWeights }
  | { type: 'caught'; state: string; error: string };

export type RunOutcome =
  | { status: 'succeeded'; state: string }
  | { status: 'failed'; state: string; error: string; cause: string };

/** One execution of a shadow-pool state machine, advanced on a (simulated) clock. */
export class OperationRun {
  private state = 'Validate';
  private readonly data: Data = {};
  /** The execution may not run before this time (a Wait). */
  resumeAt: number;
  outcome: RunOutcome | undefined;

  constructor(
    readonly kind: OperationKind,
    readonly name: string,
    private readonly input: unknown,
    startedAt: number,
    private readonly onEvent?: (event: RunEvent, atMs: number) => void,
  ) {
    this.resumeAt = startedAt;
  }

  get done(): boolean {
    return this.outcome !== undefined;
  }

  /** Run states at `deps.clock.now()` until a Wait that ends later, or the end. */
  async advance(deps: Deps): Promise<void> {
    const flow = FLOWS[this.kind];
    while (!this.outcome) {
      const now = deps.clock.now();
      if (this.resumeAt > now) return;
      const state = flow[this.state];
      if (!state) throw new Error(`no state ${this.state} in the ${this.kind} flow`);
      this.onEvent?.({ type: 'state-entered', state: this.state, stateType: state.type }, now);
      switch (state.type) {
        case 'Task':
          this.state = await this.task(deps, state);
          break;
        case 'Wait':
          this.resumeAt = now + Math.max(0, state.seconds(this.data)) * 1000;
          this.state = state.next;
          break;
        case 'Choice':
          this.state = state.choose(this.data);
          break;
        case 'Pass':
          state.apply(this.data);
          this.state = state.next;
          break;
        case 'Succeed':
          this.outcome = { status: 'succeeded', state: this.state };
          break;
        case 'Fail': {
          this.outcome = {
            status: 'failed',
            state: this.state,
            error: state.error(this.data),
            cause: this.data.compensation?.summary ?? this.data.error?.Cause ?? '',
          };
          break;
        }
      }
    }
  }

  private async task(deps: Deps, state: Extract<FlowState, { type: 'Task' }>): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        await state.run(deps, this.data, { input: this.input, executionName: this.name });
        if (this.state === 'Shift') {
          const weights = (this.data.run?.cursor as Cursor | undefined)?.weights;
          if (weights) this.onEvent?.({ type: 'shifted', weights }, deps.clock.now());
        }
        return state.next;
      } catch (error) {
        const name = error instanceof Error ? error.name : 'Error';
        if (state.retry.includes(name) && attempt < RETRIES) continue;
        const message = error instanceof Error ? error.message : String(error);
        this.data.error = { Error: name, Cause: JSON.stringify({ errorMessage: message }) };
        this.onEvent?.({ type: 'caught', state: this.state, error: name }, deps.clock.now());
        const target = state.catch.find(([e]) => e === name) ?? state.catch.find(([e]) => e === 'States.ALL');
        if (!target) throw error;
        return target[1];
      }
    }
  }
}
