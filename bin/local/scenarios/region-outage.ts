import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { localRegionalMachine, type RegionalKind } from '../../../functions/failover/local';
import { setRuntime } from '../../../functions/runtime';
import { ManualClock } from '../../../shared/clock';
import { type DetectorDeps, observeWorkload } from '../../../shared/failover/detector';
import { prewarmStandby } from '../../../shared/failover/prewarm-standby';
import type { RegionalExecutionStarter } from '../../../shared/ports/regions';
import type { OperationStep } from '../../../shared/schemas/operation';
import type { Prediction } from '../../../shared/schemas/series';
import { Workload } from '../../../shared/schemas/workload';
import { AslRunner, type ExecutionOutcome, type TaskHandler } from '../../../shared/sim/asl-runner';
import { MemoryEventPublisher } from '../../../shared/sim/memory-events';
import { makeMemoryRepositories } from '../../../shared/sim/memory-repositories';
import { SimRegions } from '../../../shared/sim/regions';

/**
 * The `region-outage` scenario: one workload served from a home region, a standby region behind
 * weighted DNS whose clients honour the TTL, the home region failing at a chosen time. Everything
 * that decides runs as deployed: the standby leg of pre-warm after each forecast, the regional
 * detector (judge + hysteresis + decide, once a minute), and the real regional-failover /
 * regional-failback ASL files with their real handlers (aws-local-stepfunctions, in simulated
 * time). `shadowscale local --scenario region-outage` prints it; `shadowscale bench failover`
 * runs it over real traces beside modelled Route 53 health-check failovers.
 */
export const HOME = 'us-east-1';
export const STANDBY = 'us-west-2';
const MINUTE = 60_000;

export interface RegionOutageOptions {
  name: string;
  /** Demand per second on a regular grid. */
  values: ArrayLike<number>;
  startMs: number;
  intervalMs: number;
  outageAtMs: number;
  outageMs: number;
  /** Simulated time before the outage (calm: the standby's cost is measured here). */
  warmupMs: number;
  /** Simulated time after the home region is back (failback). */
  afterMs: number;
  /** The standby's new units never become healthy. */
  injectFailure?: boolean;
  ttlSeconds?: number;
  lagMs?: number;
  failbackHoldSeconds?: number;
  /** CloudWatch's publication delay of the ALB metrics the detector reads (default 60 s). */
  metricDelaySeconds?: number;
  onProgress?: (line: string) => void;
}

export interface TimelineEvent {
  at: number;
  what: string;
}

export interface RegionOutageResult {
  name: string;
  outageAtMs: number;
  outageEndMs: number;
  detectedAtMs?: number;
  /** First minute after the outage start with >= 95 % of demand served; undefined: never. */
  recoveredAtMs?: number;
  recoverySeconds?: number;
  /** Demand unserved from the outage start to its end, as a fraction of that demand. */
  unservedFraction: number;
  /** Demand unserved after the last DNS step plus one TTL, until the outage ends, as a fraction. */
  unservedAfterShiftFraction?: number;
  standbyUnitHoursCalm: number;
  calmHours: number;
  /** Failovers on observed degradation the detector started before the outage (home was healthy). */
  falseTriggers: number;
  /** Failovers started before the outage because the forecast put the home region at risk. */
  predictedFailovers: number;
  /**
   * Where the recovery time went, seconds from the outage start: detection, the failover run's
   * start, the standby healthy at its planned size, the first and the last DNS step, and how long
   * after the last step every client had the new answer (`ttlS`: the fast TTL the run lowered the
   * records to, or what was left of the old TTL).
   */
  phases?: {
    detectedS?: number;
    startedS: number;
    standbyReadyS?: number;
    firstDnsStepS?: number;
    lastDnsStepS?: number;
    ttlS: number;
  };
  unitCapacity: number;
  maxUnits: number;
  events: TimelineEvent[];
  executions: { kind: RegionalKind; outcome: ExecutionOutcome['status']; error?: string }[];
  sim: SimRegions;
}

export function scenarioWorkload(
  unitCapacity: number,
  maxUnits: number,
  opts: RegionOutageOptions,
): Workload {
  const tg = (region: string, id: string) =>
    `arn:aws:elasticloadbalancing:${region}:123456789012:targetgroup/app/${id}`;
  return Workload.parse({
    workloadId: 'outage-demo',
    compute: { kind: 'ecs', cluster: 'prod', service: 'app' },
    traffic: {
      listenerArn:
        'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/prod/1111111111111111/2222222222222222',
      primaryTargetGroupArn: tg(HOME, '3333333333333333'),
      shadowTargetGroupArn: tg(HOME, '4444444444444444'),
    },
    regions: { primary: HOME, standby: STANDBY },
    capacity: {
      minUnits: 1,
      maxUnits,
      shadowMaxUnits: Math.ceil(maxUnits / 2),
      targetUtilization: 0.7,
      provisioningLagSeconds: Math.round((opts.lagMs ?? 3 * MINUTE) / 1000),
    },
    metrics: [
      {
        name: 'requests',
        namespace: 'AWS/ApplicationELB',
        metricName: 'RequestCount',
        periodSeconds: 60,
        capacityPerUnit: unitCapacity,
      },
    ],
    failover: {
      dns: {
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        recordName: 'api.example.com',
        recordType: 'CNAME',
        ttlSeconds: opts.ttlSeconds ?? 60,
        endpoints: {
          [HOME]: { value: 'home.elb.amazonaws.com' },
          [STANDBY]: { value: 'standby.elb.amazonaws.com' },
        },
      },
      standby: { calmUnits: 1, riskShare: 1 },
      failbackHoldSeconds: opts.failbackHoldSeconds ?? 1_800,
      healthyTimeoutSeconds: 900,
    },
  });
}

function valueAt(opts: RegionOutageOptions, t: number): number {
  const i = Math.min(opts.values.length - 1, Math.max(0, Math.floor((t - opts.startMs) / opts.intervalMs)));
  const v = opts.values[i] as number;
  return Number.isFinite(v) ? Math.max(0, v) : 0;
}

/**
 * The forecast the scenario feeds the planning core: a seasonal-naive forecast (same time the day
 * before, for the next hour) with a p95 band 20 % above. A stand-in for the forecaster, which the
 * scenario does not run (its accuracy is measured by `shadowscale bench forecast`).
 */
export function seasonalForecast(opts: RegionOutageOptions, workloadId: string, nowMs: number): Prediction {
  const intervalMs = 5 * MINUTE;
  const point: number[] = [];
  for (let i = 0; i < 12; i++) {
    const t = nowMs + i * intervalMs;
    const dayBefore = t - 86_400_000 >= opts.startMs ? valueAt(opts, t - 86_400_000) : valueAt(opts, nowMs);
    point.push(Math.max(dayBefore, valueAt(opts, nowMs)));
  }
  return {
    workloadId,
    metric: 'requests',
    generatedAt: nowMs,
    startMs: nowMs,
    intervalMs,
    point,
    quantiles: [{ q: 0.95, values: point.map((v) => v * 1.2) }],
    model: 'seasonal-naive',
    confidence: 'high',
    signals: [],
  };
}

export async function runRegionOutage(opts: RegionOutageOptions): Promise<RegionOutageResult> {
  const world = buildWorld(opts);
  await world.repos.workloads.create(world.workload);
  const runs = regionalRuns(world);
  const observed = await replayMinutes(world, runs, opts);
  // Let a last execution finish (bounded).
  for (let i = 0; i < 240 && runs.running; i++) await world.cosim.advanceTo(world.clock.now() + MINUTE);
  return measureOutage(world, runs, observed, opts);
}

/** The two simulated regions, the in-memory store and the ASL runner the scenario runs over. */
interface ScenarioWorld {
  workload: Workload;
  unitCapacity: number;
  maxUnits: number;
  start: number;
  end: number;
  clock: ManualClock;
  sim: SimRegions;
  repos: ReturnType<typeof makeMemoryRepositories>;
  cosim: AslRunner;
  timeline: TimelineEvent[];
  note: (what: string) => void;
}

function buildWorld(opts: RegionOutageOptions): ScenarioWorld {
  // Unit size: the window's p95 needs 20 units at target utilisation (as `--unit-capacity auto`).
  const window: number[] = [];
  for (
    let t = opts.outageAtMs - opts.warmupMs;
    t < opts.outageAtMs + opts.outageMs + opts.afterMs;
    t += MINUTE
  )
    window.push(valueAt(opts, t));
  window.sort((a, b) => a - b);
  const p95 = window[Math.floor(0.95 * (window.length - 1))] ?? 1;
  const unitCapacity = Math.max(1e-9, p95 / (20 * 0.7));
  const maxUnits = 30;
  const workload = scenarioWorkload(unitCapacity, maxUnits, opts);
  const start = opts.outageAtMs - opts.warmupMs;
  const clock = new ManualClock(start);
  const sim = new SimRegions({
    clock,
    workload,
    demand: (t) => valueAt(opts, t),
    unitCapacity,
    lagMs: opts.lagMs ?? 3 * MINUTE,
    homeUnits: maxUnits,
    standbyUnits: 1,
    ...(opts.metricDelaySeconds !== undefined ? { metricDelaySeconds: opts.metricDelaySeconds } : {}),
  });
  const repos = makeMemoryRepositories({ clock });
  setRuntime({
    clock,
    repositories: repos,
    events: new MemoryEventPublisher(),
    regions: sim.router,
    standby: sim.standbyPool,
    regionalHealth: sim.health,
  });
  const timeline: TimelineEvent[] = [];
  const note = (what: string) => {
    timeline.push({ at: clock.now(), what });
    opts.onProgress?.(`${new Date(clock.now()).toISOString().slice(11, 19)} ${what}`);
  };
  const end = opts.outageAtMs + opts.outageMs + opts.afterMs;
  return {
    workload,
    unitCapacity,
    maxUnits,
    start,
    end,
    clock,
    sim,
    repos,
    cosim: new AslRunner(sim),
    timeline,
    note,
  };
}

/** The regional executions the detector starts, and the one still running. */
interface RegionalRuns {
  starter: RegionalExecutionStarter;
  executions: RegionOutageResult['executions'];
  running: Promise<ExecutionOutcome> | undefined;
}

/** The detector starts runs through this: a name already used starts nothing (as Step Functions). */
function regionalRuns(world: ScenarioWorld): RegionalRuns {
  const names = new Set<string>();
  const runs: RegionalRuns = {
    executions: [],
    running: undefined,
    starter: {
      start: async (kind, name, input) => {
        if (names.has(name)) return { started: false };
        names.add(name);
        const { definition, handlers } = localRegionalMachine(kind);
        world.note(`${kind} started: ${input.reason}`);
        const execution = world.cosim.start({
          name,
          definition: definition as unknown as StateMachineDefinition,
          input: input as never,
          handlers: handlers as Record<string, TaskHandler>,
        });
        runs.running = execution.outcome;
        void execution.outcome.then((o) => {
          runs.executions.push({
            kind,
            outcome: o.status,
            ...(o.status === 'failed' ? { error: o.error } : {}),
          });
          world.note(`${kind} ${o.status === 'succeeded' ? 'succeeded' : `ended: ${o.error}`}`);
          runs.running = undefined;
        });
        return { started: true, executionArn: name };
      },
    },
  };
  return runs;
}

/** What the minute-by-minute replay saw: detection, false and forecast-driven starts, calm standby. */
interface Observed {
  detectedAtMs: number | undefined;
  falseTriggers: number;
  predictedFailovers: number;
  standbyUnitMinutesCalm: number;
}

/**
 * Every simulated minute: the outage starts and ends on time, every 5 minutes a forecast and the
 * standby leg of pre-warm, and the deployed detector at its sample period.
 */
async function replayMinutes(
  world: ScenarioWorld,
  runs: RegionalRuns,
  opts: RegionOutageOptions,
): Promise<Observed> {
  const { workload, sim, repos, cosim, start, end, note } = world;
  const detectorDeps: DetectorDeps = {
    clock: world.clock,
    repositories: repos,
    health: sim.health,
    starter: runs.starter,
  };
  const seen: Observed = {
    detectedAtMs: undefined,
    falseTriggers: 0,
    predictedFailovers: 0,
    standbyUnitMinutesCalm: 0,
  };
  let outageStarted = false;
  let outageEnded = false;
  const sampleMs = (workload.failover?.detection.sampleSeconds ?? 10) * 1000;
  if (opts.injectFailure) sim.failStandbyLaunches();

  for (let t = start; t < end; t += MINUTE) {
    if (!outageStarted && t >= opts.outageAtMs) {
      outageStarted = true;
      sim.setDown(HOME, true);
      note(`home region ${HOME} fails`);
    }
    if (outageStarted && !outageEnded && t >= opts.outageAtMs + opts.outageMs) {
      outageEnded = true;
      sim.setDown(HOME, false);
      note(`home region ${HOME} is back`);
    }
    if ((t - start) % (5 * MINUTE) === 0) await forecastAndPrewarmStandby(world, opts, t);
    if (t < opts.outageAtMs)
      seen.standbyUnitMinutesCalm += (await sim.standbyPool.describe(workload)).desired;
    // The deployed detector, every sample period, half a period off the minute so that an outage
    // starting on the minute is not seen at the very instant it starts.
    for (let at = t + sampleMs / 2; at < t + MINUTE; at += sampleMs) {
      await cosim.advanceTo(at);
      if (at <= start) continue;
      const observed = await observeWorkload(detectorDeps, workload);
      if (observed.flipped.includes(HOME)) {
        note(
          `detector: home region ${observed.home.status}${observed.home.reasons.length ? ` (${observed.home.reasons.join('; ')})` : ''}`,
        );
        if (observed.home.status === 'degraded' && seen.detectedAtMs === undefined && outageStarted)
          seen.detectedAtMs = at;
      }
      // A failover on observed degradation while the home region serves is a false detection; one
      // on a predicted shortfall is the forecast acting ahead, counted apart.
      if (observed.start?.started && observed.action.kind === 'failover' && !outageStarted) {
        if (observed.action.trigger === 'observed-degradation') seen.falseTriggers++;
        else seen.predictedFailovers++;
      }
    }
    await cosim.advanceTo(t + MINUTE);
  }
  return seen;
}

/** The scenario's stand-in forecast, stored, and the standby leg of pre-warm acting on it. */
async function forecastAndPrewarmStandby(
  world: ScenarioWorld,
  opts: RegionOutageOptions,
  t: number,
): Promise<void> {
  const prediction = seasonalForecast(opts, world.workload.workloadId, t);
  await world.repos.predictions.putPrediction(prediction);
  const leg = await prewarmStandby(
    world.workload,
    [prediction],
    { standby: world.sim.standbyPool, operations: world.repos.operations },
    t,
  );
  if (leg && leg.action !== 'hold')
    world.note(`pre-warm standby ${leg.action} → ${leg.desired}: ${leg.reason}`);
}

/** Recovery, unserved demand and where the time went, read from the simulated regions and the runs. */
async function measureOutage(
  world: ScenarioWorld,
  runs: RegionalRuns,
  observed: Observed,
  opts: RegionOutageOptions,
): Promise<RegionOutageResult> {
  const { sim, workload, timeline } = world;
  const { detectedAtMs } = observed;
  const outageEndMs = opts.outageAtMs + opts.outageMs;
  let recoveredAtMs: number | undefined;
  for (let t = opts.outageAtMs; t < outageEndMs; t += MINUTE) {
    const m = sim.totals(t, t + MINUTE);
    if (m.demand > 0 && m.served / m.demand >= 0.95) {
      recoveredAtMs = t + MINUTE;
      break;
    }
  }
  const during = sim.totals(opts.outageAtMs, outageEndMs);
  const ops = await world.repos.operations.listByWorkload(workload.workloadId, { limit: 50 });
  const failover = ops.items.find((o) => o.kind === 'failover' && o.status === 'succeeded');
  const lastShift = failover?.steps.filter((s) => s.name === 'dns-shifted').at(-1);
  // How long after the last DNS step every client has the new answer: the fast TTL the run lowered
  // the records to, unless answers fetched before the lowering (old TTL) are still cached.
  const dns = workload.failover?.dns;
  const lowered = failover?.steps.find((s) => s.name === 'ttl-lowered')?.at;
  const ttlMs =
    lowered !== undefined && lastShift && dns
      ? Math.max(dns.fastTtlSeconds * 1000, lowered + dns.ttlSeconds * 1000 - lastShift.at)
      : (dns?.ttlSeconds ?? 60) * 1000;
  const sinceOutage = (at: number | undefined) =>
    at === undefined ? undefined : (at - opts.outageAtMs) / 1000;
  const phases = failover
    ? {
        ...(detectedAtMs !== undefined ? { detectedS: sinceOutage(detectedAtMs) } : {}),
        startedS: sinceOutage(failover.startedAt) as number,
        standbyReadyS: sinceOutage(failover.steps.find((s) => s.name === 'destination-healthy')?.at),
        firstDnsStepS: sinceOutage(failover.steps.find((s) => s.name === 'dns-shifted')?.at),
        lastDnsStepS: sinceOutage(lastShift?.at),
        ttlS: ttlMs / 1000,
      }
    : undefined;
  let unservedAfterShiftFraction: number | undefined;
  if (lastShift && lastShift.at + ttlMs < outageEndMs) {
    const after = sim.totals(lastShift.at + ttlMs, outageEndMs);
    unservedAfterShiftFraction = after.demand > 0 ? after.unserved / after.demand : 0;
  }
  timeline.push(...operationSteps(ops.items));
  timeline.sort((a, b) => a.at - b.at);
  return {
    name: opts.name,
    outageAtMs: opts.outageAtMs,
    outageEndMs,
    ...(detectedAtMs !== undefined ? { detectedAtMs } : {}),
    ...(recoveredAtMs !== undefined
      ? { recoveredAtMs, recoverySeconds: (recoveredAtMs - opts.outageAtMs) / 1000 }
      : {}),
    unservedFraction: during.demand > 0 ? during.unserved / during.demand : 0,
    ...(unservedAfterShiftFraction !== undefined ? { unservedAfterShiftFraction } : {}),
    standbyUnitHoursCalm: observed.standbyUnitMinutesCalm / 60,
    calmHours: opts.warmupMs / 3_600_000,
    falseTriggers: observed.falseTriggers,
    predictedFailovers: observed.predictedFailovers,
    ...(phases ? { phases } : {}),
    unitCapacity: world.unitCapacity,
    maxUnits: world.maxUnits,
    events: timeline,
    executions: runs.executions,
    sim,
  };
}

const TIMELINE_STEPS = new Set([
  'dns-shifted',
  'standby-raised',
  'restored',
  'standby-calm',
  'ttl-lowered',
  'ttl-restored',
]);

/** The DNS, standby and TTL steps of every regional run, for the timeline. */
function operationSteps(ops: readonly { kind: string; steps: readonly OperationStep[] }[]): TimelineEvent[] {
  return ops.flatMap((op) =>
    op.steps
      .filter((s) => TIMELINE_STEPS.has(s.name))
      .map((s) => ({
        at: s.at,
        what: `${op.kind} ${s.name} ${JSON.stringify(s.detail.regionWeights ?? s.detail.to ?? s.weights ?? '')}`,
      })),
  );
}
