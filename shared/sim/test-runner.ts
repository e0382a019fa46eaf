import type { Clock } from '../clock';
import type { TestRequest, TestRunnerPort } from '../ports/tests';
import type { TestRunner } from '../schemas/workload';

/**
 * A simulated integration-test runner on the virtual clock: it takes the task token, "runs" for
 * `durationSeconds`, heartbeats every `heartbeatEverySeconds` meanwhile, then answers pass or fail
 * through the token, or never answers (`silent`). The local Step Functions run asks it for the
 * token's state (`poll`) as Step Functions would receive SendTaskSuccess / SendTaskFailure /
 * SendTaskHeartbeat from a real runner.
 */
export interface SimTestBehaviour {
  outcome: 'pass' | 'fail' | 'silent';
  durationSeconds: number;
  /** Undefined: the runner never heartbeats. */
  heartbeatEverySeconds?: number;
}

export type TokenState =
  | { status: 'pending'; lastHeartbeatMs: number }
  | { status: 'succeeded'; output: Record<string, unknown> }
  | { status: 'failed'; error: string; cause: string };

interface Started {
  request: TestRequest;
  runner: TestRunner;
  startedAt: number;
  behaviour: SimTestBehaviour;
}

export class SimTestRunner implements TestRunnerPort {
  readonly started: Started[] = [];
  private readonly byToken = new Map<string, Started>();

  constructor(
    private readonly clock: Clock,
    public behaviour: SimTestBehaviour = { outcome: 'pass', durationSeconds: 300, heartbeatEverySeconds: 60 },
  ) {}

  async start(runner: TestRunner, request: TestRequest): Promise<{ runId: string }> {
    const run: Started = { request, runner, startedAt: this.clock.now(), behaviour: { ...this.behaviour } };
    this.started.push(run);
    this.byToken.set(request.taskToken, run);
    return { runId: `sim-tests-${this.started.length}` };
  }

  /** What the runner has sent for `token` by now. Unknown tokens were never handed out. */
  poll(token: string): TokenState | undefined {
    const run = this.byToken.get(token);
    if (!run) return undefined;
    const now = this.clock.now();
    const { outcome, durationSeconds, heartbeatEverySeconds } = run.behaviour;
    const doneAt = run.startedAt + durationSeconds * 1000;
    if (outcome !== 'silent' && now >= doneAt) {
      return outcome === 'pass'
        ? {
            status: 'succeeded',
            output: { result: 'passed', runner: run.runner.kind, tests: 42, failures: 0 },
          }
        : {
            status: 'failed',
            error: 'TestsFailed',
            cause: `integration tests of ${run.request.version} failed: 3 of 42 tests failed`,
          };
    }
    if (heartbeatEverySeconds === undefined) return { status: 'pending', lastHeartbeatMs: run.startedAt };
    const every = heartbeatEverySeconds * 1000;
    const beats = Math.floor((now - run.startedAt) / every);
    return { status: 'pending', lastHeartbeatMs: run.startedAt + beats * every };
  }
}
