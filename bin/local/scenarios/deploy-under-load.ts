import { ManualClock } from '../../../shared/clock';
import { engine, type ModelState } from '../../../shared/model';
import type { StageForecast } from '../../../shared/pipeline/forecast';
import { deploymentOperationId, type PipelineBranchInput } from '../../../shared/pipeline/input';
import { predictFromStore } from '../../../shared/pipeline/tasks';
import { utcMinute } from '../../../shared/report/time-axis';
import type { Prediction } from '../../../shared/schemas/series';
import { Workload } from '../../../shared/schemas/workload';
import { type MemoryRepositories, makeMemoryRepositories } from '../../../shared/sim/memory-repositories';
import type { SimTestBehaviour } from '../../../shared/sim/test-runner';
import type { DemandTrace } from '../../../shared/sim/trace';
import { type Demo, demoWorkload } from '../demo';
import { type LocalDeployment, runDeploymentLocally } from '../deploy';

/**
 * The `deploy-under-load` scenario: a pipeline deploys a new version of the demo workload while
 * its primary is predicted to be contended. The forecast is the real engine's, fitted on the
 * trace's past and updated hour by hour; the stage decision is `pipeline predict`'s; the first
 * hour whose decision is "branch" is when the deployment starts. The pipeline-branch state
 * machine then runs as `pipeline branch --local` runs it (the real ASL and handlers over the
 * simulated fleet): shadow environment, integration test gate, gated traffic steps, merge, or
 * discard when the tests fail.
 */
export const STAGE = 'prod';
export const OLD_VERSION = 'demo-api:41';
export const NEW_VERSION = 'demo-api:42';
const HOUR = 3_600_000;

/** The versions a deployment of the demo goes between: task definitions on ECS, images on EKS. */
export function demoVersions(compute: 'ecs' | 'eks'): { old: string; new: string } {
  return compute === 'eks'
    ? { old: 'registry.local/demo-api:41', new: 'registry.local/demo-api:42' }
    : { old: OLD_VERSION, new: NEW_VERSION };
}

/**
 * The demo on EKS: a managed nodegroup and its Deployment (the simulator stands in for both, a
 * unit being a node); the Kubernetes objects a branch drives are named as a real workload names
 * them.
 */
const EKS_COMPUTE = {
  kind: 'eks',
  cluster: 'local',
  nodegroup: 'demo-api',
  kubernetes: { namespace: 'default', deployment: 'demo-api', container: 'api' },
} as const;

export interface DeployUnderLoadOptions {
  trace: DemandTrace;
  /** Simulated history before the first decision (the forecast's training data). */
  warmupMs: number;
  /** How long to look for a contended hour after the warm-up. */
  searchMs: number;
  /** The integration tests fail (the branch is discarded). */
  failTests?: boolean;
  primaryMaxUnits?: number;
  /** Where the demo runs: an ECS service (default) or an EKS nodegroup with its Deployment. */
  compute?: 'ecs' | 'eks';
  onProgress?: (line: string) => void;
}

export interface DeployUnderLoadResult {
  workload: Workload;
  unitCapacity: number;
  /** Hourly decisions until one branched. */
  decisions: { at: number; forecast: StageForecast }[];
  /** The forecast the branch decision used. */
  forecast?: Prediction;
  deployment?: LocalDeployment;
  trace: DemandTrace;
  /** The version deployed. */
  version: string;
}

/** The demo workload made deployable: deploy and bake times, a test runner, on EKS when asked. */
function deployableWorkload(o: DeployUnderLoadOptions, demo: Demo): Workload {
  return Workload.parse({
    ...demo.workload,
    ...(o.compute === 'eks' ? { compute: EKS_COMPUTE } : {}),
    deployment: {
      deploySeconds: 600,
      bakeSeconds: 1800,
      testRunner: { kind: 'codebuild', projectName: 'demo-integration-tests' },
    },
  });
}

/** The trace's values from `fromMs` up to `toMs` (both clamped to the trace), as a plain array. */
function traceSlice(trace: DemandTrace, fromMs: number, toMs: number): number[] {
  const upTo = (ms: number) =>
    Math.min(trace.values.length, Math.floor((ms - trace.startMs) / trace.intervalMs));
  return Array.from(trace.values).slice(upTo(fromMs), upTo(toMs)) as number[];
}

/** The engine's forecast at `t`, as the forecaster stores it for the workload's metric. */
function predictionAt(
  state: ModelState,
  workload: Workload,
  metricName: string,
  t: number,
  horizonSteps: number,
): Prediction {
  const result = engine.forecast(state, { horizonSteps, quantiles: [0.5, 0.8, 0.95] });
  return {
    workloadId: workload.workloadId,
    metric: metricName,
    generatedAt: t,
    startMs: result.startMs,
    intervalMs: result.intervalMs,
    point: result.point,
    quantiles: result.quantiles,
    model: result.model,
    confidence: state.confidence,
    signals: [],
  };
}

/** A stage decision and the store, clock and pipeline input it was made with. */
interface StageDecision {
  clock: ManualClock;
  repositories: MemoryRepositories;
  input: PipelineBranchInput;
  decision: StageForecast;
}

/** `pipeline predict`'s decision at `t`, over a fresh store holding the workload and the forecast. */
async function decideStage(
  workload: Workload,
  forecast: Prediction,
  t: number,
  version: string,
): Promise<StageDecision> {
  const clock = new ManualClock(t);
  const repositories = makeMemoryRepositories({ clock });
  await repositories.workloads.create(workload);
  await repositories.predictions.putPrediction(forecast);
  const input: PipelineBranchInput = { workloadId: workload.workloadId, version, stage: STAGE };
  const decision = await predictFromStore(
    { repositories, clock },
    { ...input, operationId: deploymentOperationId(input), mode: 'auto' },
  );
  return { clock, repositories, input, decision };
}

/**
 * Runs the branch deployment the decision called for, with the primary contended (at its maximum
 * when the deployment starts) and the integration tests passing or failing as asked.
 */
function deployContended(
  o: DeployUnderLoadOptions,
  demo: Demo,
  workload: Workload,
  decided: StageDecision,
  primaryVersion: string,
): Promise<LocalDeployment> {
  const sim = {
    ...demo.sim,
    workload,
    primary: { ...demo.sim.primary, initialUnits: workload.capacity.maxUnits },
  };
  const tests: SimTestBehaviour = o.failTests
    ? { outcome: 'fail', durationSeconds: 600, heartbeatEverySeconds: 60 }
    : { outcome: 'pass', durationSeconds: 600, heartbeatEverySeconds: 60 };
  return runDeploymentLocally({
    workload,
    sim,
    clock: decided.clock,
    repositories: decided.repositories,
    input: { ...decided.input, trigger: 'local' },
    primaryVersion,
    tests,
    ...(o.onProgress ? { onProgress: (ms, line) => o.onProgress?.(`${utcMinute(ms)} ${line}`) } : {}),
  });
}

export async function runDeployUnderLoad(o: DeployUnderLoadOptions): Promise<DeployUnderLoadResult> {
  const demo = demoWorkload(o.trace, {
    ...(o.primaryMaxUnits ? { primaryMaxUnits: o.primaryMaxUnits } : {}),
  });
  const versions = demoVersions(o.compute ?? 'ecs');
  const workload = deployableWorkload(o, demo);
  const metric = workload.metrics[0];
  if (!metric) throw new Error('the demo workload has no metric');
  const { trace } = o;
  const start = trace.startMs;
  const horizonSteps = Math.ceil(HOUR / trace.intervalMs) * 2;
  const decisions: DeployUnderLoadResult['decisions'] = [];

  let t = start + o.warmupMs;
  let state = engine.fit(
    { startMs: start, intervalMs: trace.intervalMs, values: traceSlice(trace, start, t) },
    { horizonSteps, quantiles: [0.5, 0.8, 0.95] },
  );
  const end = Math.min(t + o.searchMs, start + trace.values.length * trace.intervalMs - 6 * HOUR);
  for (; t < end; t += HOUR) {
    if (decisions.length > 0) {
      state = engine.update(state, {
        startMs: t - HOUR,
        intervalMs: trace.intervalMs,
        values: traceSlice(trace, t - HOUR, t),
      });
    }
    const forecast = predictionAt(state, workload, metric.name, t, horizonSteps);
    const decided = await decideStage(workload, forecast, t, versions.new);
    decisions.push({ at: t, forecast: decided.decision });
    if (!decided.decision.branch) continue;
    const deployment = await deployContended(o, demo, workload, decided, versions.old);
    return {
      workload,
      unitCapacity: demo.unitCapacity,
      decisions,
      forecast,
      deployment,
      trace,
      version: versions.new,
    };
  }
  return { workload, unitCapacity: demo.unitCapacity, decisions, trace, version: versions.new };
}
