import { readFileSync } from 'node:fs';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { ConfigError } from '../errors';

/**
 * The one local runner of our state machines: any `statemachines/*.asl.json`, its `${...}`
 * placeholders filled as CDK `definitionSubstitutions` fills them, its Task states overridden by
 * local handlers (by state name or by substitution key), run in aws-local-stepfunctions on a clock
 * that is virtual (the simulated fleet's, for `npm start` and the tests) or the wall clock
 * (`runInWallTime`, for `migrate --local`).
 *
 * The real ASL runs in aws-local-stepfunctions with the real task handlers, but its `Wait` states
 * must take *simulated* time, not wall time: a 60 s bake has to let the fleet run 60 s (metrics
 * published, units becoming ready) before the gate reads them. So:
 *
 * - every `Wait` is overridden to a 1 ms wall pause, and when the execution enters it (from the
 *   interpreter's event log) we note its simulated end, `resumeAt = now + seconds`;
 * - every task handler is wrapped: before it runs, the execution blocks until the fleet's clock
 *   has reached `resumeAt`;
 * - the driver advances the fleet only when every execution is blocked or finished
 *   (`advanceTo`), stopping at each resume time on the way.
 *
 * Everything then happens at a well-defined simulated instant and a run is deterministic for a
 * given trace, apart from wall-clock timestamps. Retry intervals take no simulated time (they are
 * overridden to 0 ms: throttling retries are instantaneous here), which the local run states.
 *
 * Timeouts are simulated time too. The interpreter would time a Task (its `TimeoutSeconds`, 60 s
 * when absent) and the execution (top-level `TimeoutSeconds`) on the wall clock, and a Task here
 * includes the wait for the clock to reach the end of the Wait before it: at a slow pace a 60 s bake
 * outlasts a 120 s task timeout in wall time. So the runner gives the interpreter wall timeouts it
 * never reaches and enforces the file's own: a Task fails with `States.Timeout` when simulated time
 * passes its start + `TimeoutSeconds` while its handler waits on the clock (`TaskContext.sleepUntil`);
 * an execution fails with `States.Timeout` when simulated time passes its start + the top-level
 * `TimeoutSeconds`. A handler that only computes takes no simulated time: the clock stands still
 * while any handler runs.
 */

/** A JSON value as the interpreter passes it between states. */
export type JSONValue = Parameters<StateMachine['run']>[0];

/** What a handler may ask of the runner's clock. */
export interface TaskContext {
  /** The runner's time (simulated, or the wall clock), epoch ms. */
  now(): number;
  /** Resolves when the runner's time reaches `ms`; rejects when the task times out first. */
  sleepUntil(ms: number): Promise<void>;
}

/** A Task's local handler; `context` is given by the runner (absent when a test calls it directly). */
export type TaskHandler = (input: JSONValue, context?: TaskContext) => Promise<JSONValue> | JSONValue;

/** The time a runner runs on: the simulated fleet (`SimFleet`) or anything that can be moved. */
export interface RunnerTime {
  now(): number;
  advanceTo(ms: number): void;
}

/** The error name Step Functions gives a timed-out Task or execution (what `Catch` matches). */
export const STATES_TIMEOUT = 'States.Timeout';

/** Thrown into a Task whose simulated `TimeoutSeconds` passed: the interpreter reports its name. */
export class TaskTimeoutError extends Error {
  constructor(state: string, seconds: number) {
    super(`${state} did not finish within its TimeoutSeconds (${seconds} s of simulated time)`);
    this.name = STATES_TIMEOUT;
  }
}

/** Rejects a task blocked on the clock when its execution is aborted, so nothing stays pending. */
class AbortedError extends Error {
  constructor() {
    super('execution aborted');
    this.name = 'ExecutionAborted';
  }
}

/**
 * The interpreter's own timers: longer than any local run (and below the 2^31 ms a Node timer
 * holds). They are cleared as soon as a task settles, and every task settles, aborted ones too.
 */
const UNREACHED_WALL_TIMEOUT_SECONDS = 1_000_000;

export type ExecutionLogEvent =
  | { type: 'state-entered'; state: string; stateType: string; input: JSONValue }
  | { type: 'state-exited'; state: string; stateType: string; output: JSONValue | undefined }
  | { type: 'state-failed'; state: string; error: string; cause: string }
  | { type: 'state-caught'; state: string }
  | { type: 'state-retried'; state: string; attempt: number };

export interface StartOptions {
  /** Name for the output (e.g. `migration-checkout-api-3`). */
  name: string;
  definition: StateMachineDefinition;
  input: JSONValue;
  /** Local handlers, by Task state name (`taskHandlers` builds them from substitution keys). */
  handlers: Record<string, TaskHandler>;
  onEvent?: (event: ExecutionLogEvent, at: number) => void;
  /**
   * More context-object fields. The interpreter has no task tokens: a definition with a
   * `.waitForTaskToken` Task reads a placeholder `$$.Task.Token` from here.
   */
  context?: Record<string, unknown>;
}

export type ExecutionOutcome =
  | { status: 'succeeded'; output: JSONValue }
  | { status: 'failed'; error: string; cause: string };

export interface Execution {
  name: string;
  startedAt: number;
  outcome: Promise<ExecutionOutcome>;
  abort(): void;
}

interface Blocked {
  atMs: number;
  /** The execution (its run) and the task invocation that wait. */
  run: object;
  task: object;
  release: () => void;
  fail: (error: Error) => void;
}

interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  InputPath?: string | null;
  Retry?: unknown[];
  Iterator?: { States: Record<string, AslState> };
  ItemProcessor?: { States: Record<string, AslState> };
  Branches?: { States: Record<string, AslState> }[];
}

/** Every state of a definition, nested Map/Parallel states included. */
export function allStates(definition: StateMachineDefinition): Map<string, AslState> {
  const out = new Map<string, AslState>();
  const visit = (states: Record<string, AslState>): void => {
    for (const [name, state] of Object.entries(states)) {
      out.set(name, state);
      if (state.Iterator) visit(state.Iterator.States);
      if (state.ItemProcessor) visit(state.ItemProcessor.States);
      for (const branch of state.Branches ?? []) visit(branch.States);
    }
  };
  visit((definition as unknown as { States: Record<string, AslState> }).States);
  return out;
}

/** `$`, `$.a.b`, `$.a[0].b` — the reference paths a Wait state may use. */
export function readPath(value: unknown, path: string): unknown {
  if (path === '$') return value;
  if (!path.startsWith('$')) throw new Error(`unsupported path ${path}`);
  const parts = path
    .slice(1)
    .split(/\.|\[(\d+)\]/)
    .filter((p) => p !== undefined && p !== '');
  let current: unknown = value;
  for (const part of parts) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Simulated seconds a Wait state lasts for this input, or 0 when it cannot tell. */
export function waitSeconds(state: AslState, rawInput: unknown, nowMs: number): number {
  const input =
    state.InputPath === null ? {} : state.InputPath ? readPath(rawInput, state.InputPath) : rawInput;
  if (typeof state.Seconds === 'number') return state.Seconds;
  if (state.SecondsPath) {
    const seconds = readPath(input, state.SecondsPath);
    return typeof seconds === 'number' && seconds > 0 ? seconds : 0;
  }
  const stamp = state.Timestamp ?? (state.TimestampPath ? readPath(input, state.TimestampPath) : undefined);
  if (typeof stamp === 'string') {
    const at = Date.parse(stamp);
    return Number.isFinite(at) ? Math.max(0, (at - nowMs) / 1000) : 0;
  }
  return 0;
}

/** Replace `${Key}` placeholders as CDK `definitionSubstitutions` does; an unknown key is an error. */
export function substitute(text: string, substitutions: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_m, key: string) => {
    const value = substitutions[key];
    if (value === undefined) throw new ConfigError(`no local value for the substitution \${${key}}`);
    return value;
  });
}

/**
 * The local handler of every Task state: the task registered under the substitution key whose
 * local ARN the state's Resource names (plus any `extra` ARNs, e.g. an integration's). A Task
 * with no handler is a ConfigError, so a state added to the file cannot silently do nothing.
 */
export function taskHandlersByResource<T>(
  states: Readonly<Record<string, { Type: string; Resource?: string }>>,
  tasksBySubstitution: Readonly<Record<string, T>>,
  substitutions: Readonly<Record<string, string>>,
  extra: ReadonlyMap<string, T> = new Map(),
): Record<string, T> {
  const byArn = new Map<string, T>(extra);
  for (const [key, task] of Object.entries(tasksBySubstitution)) {
    const arn = substitutions[key];
    if (arn) byArn.set(arn, task);
  }
  const handlers: Record<string, T> = {};
  for (const [name, state] of Object.entries(states)) {
    if (state.Type !== 'Task') continue;
    const task = state.Resource ? byArn.get(state.Resource) : undefined;
    if (!task) throw new ConfigError(`Task state ${name} has no local handler for ${state.Resource}`);
    handlers[name] = task;
  }
  return handlers;
}

/** A state machine file (an absolute path) with its placeholders filled. */
export function loadDefinition(
  file: string,
  substitutions: Readonly<Record<string, string>>,
): StateMachineDefinition {
  try {
    return JSON.parse(substitute(readFileSync(file, 'utf8'), substitutions)) as StateMachineDefinition;
  } catch (error) {
    throw new ConfigError(`${file}: ${(error as Error).message}`, { cause: error });
  }
}

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

/** The function a Task calls: its Resource, or `Parameters.FunctionName` of `lambda:invoke`. */
export function taskTarget(state: { Resource?: string; Parameters?: Record<string, unknown> }): {
  arn: string;
  invoke: boolean;
} {
  const resource = state.Resource ?? '';
  const invoke = resource.startsWith(LAMBDA_INVOKE);
  const arn = invoke ? String(state.Parameters?.FunctionName ?? '') : resource;
  return { arn: arn.replace(/:\$LATEST$/, ''), invoke };
}

/**
 * Task state name -> handler, for every Task of the definition: `byState` wins, else the handler of
 * the substitution key whose value the Task calls (`lambda:invoke` tasks get the Payload and answer
 * with the invoke envelope, as the service integration does). A Task with neither is an error.
 */
export function taskHandlers(
  definition: StateMachineDefinition,
  options: {
    substitutions: Readonly<Record<string, string>>;
    bySubstitution?: Readonly<Record<string, TaskHandler>>;
    byState?: Readonly<Record<string, TaskHandler>>;
  },
): Record<string, TaskHandler> {
  const byArn = new Map<string, TaskHandler>();
  for (const [key, handler] of Object.entries(options.bySubstitution ?? {})) {
    const arn = options.substitutions[key];
    if (arn) byArn.set(arn, handler);
  }
  const handlers: Record<string, TaskHandler> = {};
  for (const [name, state] of allStates(definition)) {
    if (state.Type !== 'Task') continue;
    const own = options.byState?.[name];
    if (own) {
      handlers[name] = own;
      continue;
    }
    const { arn, invoke } = taskTarget(state);
    const handler = byArn.get(arn);
    if (!handler) throw new ConfigError(`Task state ${name} calls ${arn}, which no local handler provides`);
    handlers[name] = invoke
      ? async (input, context) => ({
          Payload: await handler((input as { Payload?: JSONValue }).Payload ?? null, context),
          StatusCode: 200,
          ExecutedVersion: '$LATEST',
        })
      : handler;
  }
  return handlers;
}

interface Deadline {
  atMs: number;
  fire: () => void;
}

/** The definition the interpreter runs: the file's timeouts replaced by ones it never reaches. */
function withUnreachedWallTimeouts(definition: StateMachineDefinition): StateMachineDefinition {
  const copy = JSON.parse(JSON.stringify(definition)) as { TimeoutSeconds?: number };
  delete copy.TimeoutSeconds;
  for (const state of allStates(copy as unknown as StateMachineDefinition).values()) {
    if (state.Type !== 'Task') continue;
    delete state.TimeoutSecondsPath;
    state.TimeoutSeconds = UNREACHED_WALL_TIMEOUT_SECONDS;
  }
  return copy as unknown as StateMachineDefinition;
}

/** Where the interpreter's default applies (no TimeoutSeconds in the file), as Step Functions' 60 s. */
const DEFAULT_TASK_TIMEOUT_SECONDS = 60;

/** What one execution's handlers, event relay and deadlines share. */
interface LiveExecution {
  /** Simulated time the current Wait state ends at: the next task starts no earlier. */
  resumeAt: number;
  aborted: boolean;
  /** The execution's own TimeoutSeconds fired. */
  timedOut: boolean;
  /** Identity of the execution among blocked waiters. */
  owner: object;
}

/** Wait states take no wall time, retries no interval; each Task keeps its file's timeout. */
function overridesOf(states: ReadonlyMap<string, AslState>): {
  waitOverrides: Record<string, number>;
  retryOverrides: Record<string, number>;
  taskTimeouts: Map<string, number>;
} {
  const waitOverrides: Record<string, number> = {};
  const retryOverrides: Record<string, number> = {};
  const taskTimeouts = new Map<string, number>();
  for (const [name, state] of states) {
    if (state.Type === 'Wait') waitOverrides[name] = 1;
    if (state.Retry) retryOverrides[name] = 0;
    if (state.Type === 'Task') taskTimeouts.set(name, state.TimeoutSeconds ?? DEFAULT_TASK_TIMEOUT_SECONDS);
  }
  return { waitOverrides, retryOverrides, taskTimeouts };
}

/** A failed run as Step Functions reports it: the error name and cause the last state threw. */
function failedOutcome(
  error: unknown,
  timedOut: boolean,
  executionTimeout: number | undefined,
): ExecutionOutcome {
  if (timedOut) {
    return {
      status: 'failed',
      error: STATES_TIMEOUT,
      cause: `the execution did not end within its TimeoutSeconds (${executionTimeout} s of simulated time)`,
    };
  }
  const e = error as { name?: string; message?: string; cause?: unknown };
  const cause = e.cause as { Error?: string; Cause?: string; name?: string; message?: string } | undefined;
  return {
    status: 'failed',
    error: cause?.Error ?? cause?.name ?? e.name ?? 'Error',
    cause: String(cause?.Cause ?? cause?.message ?? e.message ?? error),
  };
}

export class AslRunner {
  private active = 0;
  private blocked: Blocked[] = [];
  private deadlines: Deadline[] = [];
  private idleWaiters: (() => void)[] = [];
  private readonly executions = new Set<Execution>();

  constructor(private readonly time: RunnerTime) {}

  /** The runner's time, epoch ms. */
  now(): number {
    return this.time.now();
  }

  /** Executions not yet finished. */
  get running(): number {
    return this.executions.size;
  }

  start(options: StartOptions): Execution {
    const states = allStates(options.definition);
    const { waitOverrides, retryOverrides, taskTimeouts } = overridesOf(states);
    const live: LiveExecution = { resumeAt: this.time.now(), aborted: false, timedOut: false, owner: {} };
    const machine = new StateMachine(withUnreachedWallTimeouts(options.definition), {
      validationOptions: { checkArn: false },
    });
    const run = machine.run(options.input, {
      overrides: {
        taskResourceLocalHandlers: this.simulatedHandlers(options.handlers, taskTimeouts, live),
        waitTimeOverrides: waitOverrides,
        retryIntervalOverrides: retryOverrides,
      },
      context: { ...options.context, Execution: { Name: options.name } },
    });
    this.active++;
    const logs = this.relayEvents(run.eventLogs, states, options, live);
    const executionTimeout = (options.definition as { TimeoutSeconds?: number }).TimeoutSeconds;
    const stop = () => {
      live.aborted = true;
      this.failBlocked((b) => b.run === live.owner, new AbortedError());
      run.abort();
    };
    const executionDeadline: Deadline | undefined =
      executionTimeout === undefined
        ? undefined
        : {
            atMs: this.time.now() + executionTimeout * 1000,
            fire: () => {
              live.timedOut = true;
              stop();
            },
          };
    if (executionDeadline) this.deadlines.push(executionDeadline);
    const outcome = run.result.then(
      (output): ExecutionOutcome => ({ status: 'succeeded', output }),
      (error: unknown) => failedOutcome(error, live.timedOut, executionTimeout),
    );
    const execution: Execution = {
      name: options.name,
      startedAt: this.time.now(),
      outcome: Promise.all([outcome, logs]).then(([o]) => o),
      abort: stop,
    };
    this.track(execution, executionDeadline);
    return execution;
  }

  /**
   * The task handlers as the interpreter calls them: each waits for the simulated time its
   * preceding Wait state ends at, and races the state's TimeoutSeconds in simulated time.
   */
  private simulatedHandlers(
    handlers: Record<string, TaskHandler>,
    taskTimeouts: ReadonlyMap<string, number>,
    live: LiveExecution,
  ): Record<string, (input: JSONValue) => Promise<JSONValue>> {
    const simulated: Record<string, (input: JSONValue) => Promise<JSONValue>> = {};
    for (const [name, handler] of Object.entries(handlers)) {
      simulated[name] = async (input) => {
        if (live.resumeAt > this.time.now()) await this.block(live.resumeAt, live.owner, {});
        if (live.aborted) throw new AbortedError();
        const seconds = taskTimeouts.get(name) ?? DEFAULT_TASK_TIMEOUT_SECONDS;
        const timeoutAt = this.time.now() + seconds * 1000;
        const task = {};
        let timedOut = false;
        const context: TaskContext = {
          now: () => this.time.now(),
          sleepUntil: async (ms) => {
            if (timedOut) throw new TaskTimeoutError(name, seconds);
            if (ms > this.time.now()) await this.block(ms, live.owner, task);
          },
        };
        let expire: (() => void) | undefined;
        const expired = new Promise<never>((_, reject) => {
          expire = () => {
            timedOut = true;
            const error = new TaskTimeoutError(name, seconds);
            this.failBlocked((b) => b.task === task, error);
            reject(error);
          };
        });
        const deadline: Deadline = { atMs: timeoutAt, fire: () => expire?.() };
        this.deadlines.push(deadline);
        try {
          return await Promise.race([Promise.resolve(handler(input, context)), expired]);
        } finally {
          this.deadlines = this.deadlines.filter((d) => d !== deadline);
        }
      };
    }
    return simulated;
  }

  /** Relays the interpreter's state events (at simulated time) and notes where Wait states end. */
  private async relayEvents(
    eventLogs: ReturnType<StateMachine['run']>['eventLogs'],
    states: ReadonlyMap<string, AslState>,
    options: StartOptions,
    live: LiveExecution,
  ): Promise<void> {
    for await (const event of eventLogs) {
      const at = this.time.now();
      if (event.type === 'StateEntered') {
        const state = states.get(event.state.name);
        if (state?.Type === 'Wait') live.resumeAt = at + waitSeconds(state, event.state.input, at) * 1000;
        options.onEvent?.(
          {
            type: 'state-entered',
            state: event.state.name,
            stateType: event.state.type,
            input: event.state.input,
          },
          at,
        );
      } else if (event.type === 'StateExited') {
        options.onEvent?.(
          {
            type: 'state-exited',
            state: event.state.name,
            stateType: event.state.type,
            output: event.state.output,
          },
          at,
        );
      } else if (event.type === 'StateFailed') {
        options.onEvent?.(
          { type: 'state-failed', state: event.state.name, error: event.Error, cause: String(event.Cause) },
          at,
        );
      } else if (event.type === 'StateCaught') {
        options.onEvent?.({ type: 'state-caught', state: event.state.name }, at);
      } else if (event.type === 'StateRetried') {
        options.onEvent?.(
          { type: 'state-retried', state: event.state.name, attempt: event.retry.attempt },
          at,
        );
      }
    }
  }

  /** Counts the execution as running until its outcome settles. */
  private track(execution: Execution, executionDeadline: Deadline | undefined): void {
    this.executions.add(execution);
    void execution.outcome.finally(() => {
      this.executions.delete(execution);
      if (executionDeadline) this.deadlines = this.deadlines.filter((d) => d !== executionDeadline);
      this.active--;
      this.notifyIdle();
    });
  }

  /** Resolves when every execution is blocked on simulated time or finished. */
  quiescent(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Earliest simulated time an execution waits for or times out at, if any. */
  nextWakeUp(): number | undefined {
    let next: number | undefined;
    for (const b of this.blocked) next = next === undefined ? b.atMs : Math.min(next, b.atMs);
    for (const d of this.deadlines) if (next !== undefined && d.atMs < next) next = d.atMs;
    return next;
  }

  /**
   * Advance the time to `ms`, letting every execution run to its next block at each resume time on
   * the way; timeouts that fall due on the way fire at their instant.
   */
  async advanceTo(ms: number): Promise<void> {
    for (;;) {
      await this.quiescent();
      const next = this.nextWakeUp();
      if (next === undefined || next > ms) break;
      if (next > this.time.now()) this.time.advanceTo(next);
      this.releaseDue();
    }
    if (ms > this.time.now()) this.time.advanceTo(ms);
    this.releaseDue();
    await this.quiescent();
  }

  /**
   * Abort every running execution and wait for them to end. Tasks blocked on simulated time are
   * rejected, not released: an aborted execution runs no further handler, and no task (nor the
   * interpreter's timer around it) is left pending.
   */
  async abortAll(): Promise<void> {
    const running = [...this.executions];
    for (const execution of running) execution.abort();
    await Promise.allSettled(running.map((e) => e.outcome));
  }

  private releaseDue(): void {
    const now = this.time.now();
    const dueDeadlines = this.deadlines.filter((d) => d.atMs <= now);
    this.deadlines = this.deadlines.filter((d) => d.atMs > now);
    const due = this.blocked.filter((b) => b.atMs <= now);
    this.blocked = this.blocked.filter((b) => b.atMs > now);
    for (const b of due) {
      this.active++;
      b.release();
    }
    for (const d of dueDeadlines) d.fire();
  }

  /** Rejects the matching blocked tasks: they run again (to fail), so they count as active. */
  private failBlocked(match: (b: Blocked) => boolean, error: Error): void {
    const failing = this.blocked.filter(match);
    if (failing.length === 0) return;
    this.blocked = this.blocked.filter((b) => !match(b));
    for (const b of failing) {
      this.active++;
      b.fail(error);
    }
  }

  /**
   * Let a caller outside a task's own context wait for the runner's time (a test runner answering
   * a task token): it blocks like a Wait state, so the clock advances meanwhile.
   */
  sleepUntil(atMs: number): Promise<void> {
    return atMs > this.time.now() ? this.block(atMs, {}, {}) : Promise.resolve();
  }

  private block(atMs: number, run: object, task: object): Promise<void> {
    return new Promise((release, fail) => {
      this.blocked.push({ atMs, run, task, release, fail });
      this.active--;
      this.notifyIdle();
    });
  }

  private notifyIdle(): void {
    if (this.active !== 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

/**
 * Drive one execution to its end. With `sleep` (the wall clock: `migrate --local`), each Wait and
 * each `sleepUntil` lasts its real duration; without it, time jumps to the next instant anything
 * waits for (a virtual clock: a run in no wall time).
 */
export async function runToEnd(
  runner: AslRunner,
  execution: Execution,
  sleep?: (ms: number) => Promise<void>,
): Promise<ExecutionOutcome> {
  for (;;) {
    await runner.quiescent();
    const next = runner.nextWakeUp();
    if (next === undefined) break;
    if (sleep) await sleep(Math.max(0, next - runner.now()));
    await runner.advanceTo(next);
  }
  return execution.outcome;
}

/** The wall clock as runner time: it moves by itself, so advancing it is a no-op. */
export const wallTime: RunnerTime = { now: () => Date.now(), advanceTo: () => undefined };
