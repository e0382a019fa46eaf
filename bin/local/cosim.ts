import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { SimFleet } from '../../shared/sim/fleet';

/**
 * Co-simulation of Step Functions executions and the simulated fleet in one virtual time.
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
 */

/** A JSON value as the interpreter passes it between states. */
export type JSONValue = Parameters<StateMachine['run']>[0];

export type TaskHandler = (input: JSONValue) => Promise<JSONValue> | JSONValue;

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
  /** Local handlers, by Task state name. */
  handlers: Record<string, TaskHandler>;
  onEvent?: (event: ExecutionLogEvent, at: number) => void;
  /**
   * More context-object fields. The interpreter has no task tokens: a definition with a
   * `.waitForTaskToken` Task passes a placeholder `Task.Token`, which its local override replaces.
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
  release: () => void;
}

interface AslState {
  Type: string;
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

export class CoSimulation {
  private active = 0;
  private blocked: Blocked[] = [];
  private idleWaiters: (() => void)[] = [];
  private readonly executions = new Set<Execution>();

  constructor(private readonly fleet: SimFleet) {}

  /** Executions not yet finished. */
  get running(): number {
    return this.executions.size;
  }

  start(options: StartOptions): Execution {
    const states = allStates(options.definition);
    const waitOverrides: Record<string, number> = {};
    const retryOverrides: Record<string, number> = {};
    for (const [name, state] of states) {
      if (state.Type === 'Wait') waitOverrides[name] = 1;
      if (state.Retry) retryOverrides[name] = 0;
    }
    let resumeAt = this.fleet.now();
    const handlers: Record<string, TaskHandler> = {};
    for (const [name, handler] of Object.entries(options.handlers)) {
      handlers[name] = async (input) => {
        if (resumeAt > this.fleet.now()) await this.block(resumeAt);
        return handler(input);
      };
    }
    const machine = new StateMachine(options.definition, {
      validationOptions: { checkArn: false },
    });
    const run = machine.run(options.input, {
      overrides: {
        taskResourceLocalHandlers: handlers,
        waitTimeOverrides: waitOverrides,
        retryIntervalOverrides: retryOverrides,
      },
      context: { ...options.context, Execution: { Name: options.name } },
    });
    this.active++;
    const logs = (async () => {
      for await (const event of run.eventLogs) {
        const at = this.fleet.now();
        if (event.type === 'StateEntered') {
          const state = states.get(event.state.name);
          if (state?.Type === 'Wait') resumeAt = at + waitSeconds(state, event.state.input, at) * 1000;
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
    })();
    const outcome = run.result.then(
      (output): ExecutionOutcome => ({ status: 'succeeded', output }),
      (error: unknown): ExecutionOutcome => {
        const e = error as { name?: string; message?: string; cause?: unknown };
        const cause = e.cause as
          | { Error?: string; Cause?: string; name?: string; message?: string }
          | undefined;
        return {
          status: 'failed',
          error: cause?.Error ?? cause?.name ?? e.name ?? 'Error',
          cause: String(cause?.Cause ?? cause?.message ?? e.message ?? error),
        };
      },
    );
    const execution: Execution = {
      name: options.name,
      startedAt: this.fleet.now(),
      outcome: Promise.all([outcome, logs]).then(([o]) => o),
      abort: () => run.abort(),
    };
    this.executions.add(execution);
    void execution.outcome.finally(() => {
      this.executions.delete(execution);
      this.active--;
      this.notifyIdle();
    });
    return execution;
  }

  /** Resolves when every execution is blocked on simulated time or finished. */
  quiescent(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Earliest simulated time an execution waits for, if any. */
  nextWakeUp(): number | undefined {
    let next: number | undefined;
    for (const b of this.blocked) next = next === undefined ? b.atMs : Math.min(next, b.atMs);
    return next;
  }

  /**
   * Advance the fleet to `ms`, letting every execution run to its next block at each resume time on
   * the way. `onInstant` runs at every instant the clock stops at (executions blocked).
   */
  async advanceTo(ms: number): Promise<void> {
    for (;;) {
      await this.quiescent();
      const next = this.nextWakeUp();
      if (next === undefined || next > ms) break;
      if (next > this.fleet.now()) this.fleet.advanceTo(next);
      this.releaseDue();
    }
    if (ms > this.fleet.now()) this.fleet.advanceTo(ms);
    this.releaseDue();
    await this.quiescent();
  }

  /**
   * Abort every running execution and wait for them to end. Tasks blocked on simulated time are
   * dropped, not released: an aborted execution runs no further handler.
   */
  async abortAll(): Promise<void> {
    const running = [...this.executions];
    this.blocked = [];
    for (const execution of running) execution.abort();
    await Promise.allSettled(running.map((e) => e.outcome));
  }

  /**
   * Let a running task wait for simulated time: a task that waits for an outside answer (a task
   * token's callback) blocks here like a Wait state, so the fleet advances meanwhile.
   */
  sleepUntil(atMs: number): Promise<void> {
    return atMs > this.fleet.now() ? this.block(atMs) : Promise.resolve();
  }

  private releaseDue(): void {
    const now = this.fleet.now();
    const due = this.blocked.filter((b) => b.atMs <= now);
    if (due.length === 0) return;
    this.blocked = this.blocked.filter((b) => b.atMs > now);
    for (const b of due) {
      this.active++;
      b.release();
    }
  }

  private block(atMs: number): Promise<void> {
    return new Promise((release) => {
      this.blocked.push({ atMs, release });
      this.active--;
      this.notifyIdle();
    });
  }

  private notifyIdle(): void {
    if (this.active !== 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
