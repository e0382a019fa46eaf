import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { localPipelineStateMachine, localTestGate } from '../../functions/pipeline/local';
import { resetRuntime, setRuntime } from '../../functions/runtime';
import type { ManualClock } from '../../shared/clock';
import { deploymentOperationId, type PipelineBranchInput } from '../../shared/pipeline/input';
import type { Operation } from '../../shared/schemas/operation';
import type { Workload } from '../../shared/schemas/workload';
import { simPorts } from '../../shared/sim/adapters';
import { AslRunner, type ExecutionOutcome, type TaskHandler } from '../../shared/sim/asl-runner';
import { SimFleet, type SimWorkloadOptions } from '../../shared/sim/fleet';
import { MemoryEventPublisher } from '../../shared/sim/memory-events';
import type { MemoryRepositories } from '../../shared/sim/memory-repositories';
import { type SimTestBehaviour, SimTestRunner } from '../../shared/sim/test-runner';

/**
 * One run of the pipeline-branch state machine on this machine: the real ASL file in the local
 * interpreter (aws-local-stepfunctions), every task the real handler code, over a simulated fleet
 * of the workload on a virtual clock, in-memory stores, and a simulated test runner answering the
 * integration test gate through its task token. Used by `shadowscale pipeline branch --local` and
 * by `shadowscale local --scenario deploy-under-load`.
 */
export interface LocalDeploymentOptions {
  workload: Workload;
  /** The workload's simulated pools and demand. */
  sim: SimWorkloadOptions;
  clock: ManualClock;
  /** Seeded with the workload and its forecasts; the run records its operation here. */
  repositories: MemoryRepositories;
  input: PipelineBranchInput;
  /** What the primary runs before the deployment. */
  primaryVersion: string;
  tests: SimTestBehaviour;
  /** Each recorded step of the deployment, as it happens (simulated time). */
  onProgress?: (atMs: number, line: string) => void;
  /** Each state entered. */
  onState?: (atMs: number, state: string) => void;
  /** Give up after this much simulated time. @default 6 hours */
  maxMs?: number;
}

export interface TimelineMark {
  at: number;
  what: string;
}

export interface LocalDeployment {
  outcome: ExecutionOutcome;
  states: string[];
  operation: Operation | undefined;
  fleet: SimFleet;
  /** The deployment's recorded steps as the report marks them. */
  marks: TimelineMark[];
  startedAt: number;
  endedAt: number;
}

const MINUTE = 60_000;

export async function runDeploymentLocally(o: LocalDeploymentOptions): Promise<LocalDeployment> {
  const fleet = new SimFleet({ clock: o.clock, workloads: [o.sim] });
  fleet.setVersion(o.workload.workloadId, 'primary', o.primaryVersion);
  const tests = new SimTestRunner(o.clock, o.tests);
  const ports = simPorts(fleet);
  setRuntime({
    clock: o.clock,
    repositories: o.repositories,
    events: new MemoryEventPublisher(),
    compute: ports.compute,
    versions: ports.compute,
    traffic: ports.traffic,
    health: ports.targetHealth,
    tests,
  });
  const operationId = deploymentOperationId(o.input);
  const startedAt = o.clock.now();
  try {
    const cosim = new AslRunner(fleet);
    const gate = localTestGate({ answers: tests, clock: o.clock, sleepUntil: (ms) => cosim.sleepUntil(ms) });
    const { definition, handlers, context } = localPipelineStateMachine(gate);
    const states: string[] = [];
    let reported = 0;
    const reportSteps = async () => {
      const op = await o.repositories.operations.get(operationId);
      for (const s of op?.steps.slice(reported) ?? [])
        if (markWorthy(s)) o.onProgress?.(s.at, describeStep(s));
      reported = op?.steps.length ?? reported;
    };
    const execution = cosim.start({
      name: `deploy-${o.input.workloadId}-${o.input.stage}-${startedAt}`.slice(0, 80),
      definition: definition as unknown as StateMachineDefinition,
      input: o.input as never,
      handlers: handlers as Record<string, TaskHandler>,
      context,
      onEvent: (event) => {
        if (event.type === 'state-entered') {
          states.push(event.state);
          o.onState?.(o.clock.now(), event.state);
        }
      },
    });
    let outcome: ExecutionOutcome | undefined;
    void execution.outcome.then((done) => {
      outcome = done;
    });
    const deadline = startedAt + (o.maxMs ?? 6 * 60 * MINUTE);
    while (outcome === undefined && fleet.now() < deadline) {
      await cosim.advanceTo(fleet.now() + MINUTE);
      await reportSteps();
    }
    await cosim.quiescent();
    await reportSteps();
    if (!outcome) {
      execution.abort();
      outcome = {
        status: 'failed',
        error: 'LocalRunTimeout',
        cause: `still running after ${(deadline - startedAt) / 60_000} simulated minutes`,
      } as ExecutionOutcome;
    }
    const operation = await o.repositories.operations.get(operationId);
    return {
      outcome,
      states,
      operation,
      fleet,
      marks: (operation?.steps ?? []).filter(markWorthy).map((s) => ({ at: s.at, what: describeStep(s) })),
      startedAt,
      endedAt: o.clock.now(),
    };
  } finally {
    resetRuntime();
  }
}

type Step = Operation['steps'][number];

/** A passed health gate follows every traffic step; the timeline keeps the step itself. */
function markWorthy(s: Step): boolean {
  return !['gate-passed', 'branch-planned', 'merge-planned'].includes(s.name);
}

/** One line per recorded step, in the words of the deployment. */
export function describeStep(s: Step): string {
  const d = s.detail ?? {};
  const w = s.weights ? ` (primary/shadow ${s.weights.primary}/${s.weights.shadow})` : '';
  switch (s.name) {
    case 'branched':
      return `branch: ${String(d.reason ?? '')}`;
    case 'to-primary':
      return `deploy to the primary: ${String(d.reason ?? '')}`;
    case 'provisioned':
      return `shadow environment: ${String(d.units)} units on ${String(d.version)}`;
    case 'tests-started':
      return `integration tests started (${String(d.runner)})`;
    case 'tests-passed':
      return 'integration tests passed';
    case 'tests-skipped':
      return 'no test runner: gate skipped';
    case 'shifted':
      return `traffic step${w}`;
    case 'restored':
      return `discard: ${String((d.error as { name?: string } | undefined)?.name ?? '')}, traffic restored${w}`;
    case 'shadow-deleted':
      return 'shadow environment deleted';
    case 'healthy':
      return 'shadow environment healthy';
    case 'primary-deploying':
      return `primary rolling onto ${String(d.version)}`;
    case 'primary-deployed':
      return `primary runs ${String(d.version)}`;
    case 'decommissioned':
      return 'shadow environment decommissioned';
    case 'merged':
      return 'merged: the stage is deployed';
    case 'deployed':
      return 'deployed to the primary';
    default:
      return `${s.name}${w}`;
  }
}
