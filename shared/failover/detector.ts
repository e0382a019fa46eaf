import { createHash } from 'node:crypto';
import type { Clock } from '../clock';
import type { RegionalExecutionStarter, RegionalHealthSource } from '../ports/regions';
import type { RegionalDetectorRecord, Repositories } from '../ports/repositories';
import type { Prediction } from '../schemas/series';
import type { Workload } from '../schemas/workload';
import { decideRegionalAction, type RegionalAction } from './decide';
import { regionsOf } from './dns';
import {
  ALB_METRIC_DELAY_SECONDS,
  expectedUnitsAtFull,
  forecastRisk,
  HEALTHY,
  judgeRegion,
  nextRegionHealth,
  type RegionHealth,
} from './health';

/**
 * The regional detector: one observation of a workload's two regions (each region's last minute
 * of ALB metrics plus any open AWS Health issue), folded into the hysteresis kept in the
 * predictions table, then the regional decision; a failover or failback it calls for is started
 * under a name derived from the workload and the event (the degradation episode, or the forecast
 * that put the region at risk), so a duplicate invocation or a redelivered event never starts a
 * second run. The deployed detector Lambda and the local `region-outage` scenario both call it.
 */
export interface DetectorDeps {
  clock: Clock;
  repositories: {
    predictions: Pick<Repositories['predictions'], 'getLatest' | 'getRegionalState' | 'putRegionalState'>;
    operations: Pick<Repositories['operations'], 'listByWorkload'>;
  };
  health: RegionalHealthSource;
  starter: RegionalExecutionStarter;
}

export interface DetectorOutcome {
  workloadId: string;
  home: RegionHealth;
  standby: RegionHealth;
  /** Regions whose status flipped in this observation. */
  flipped: string[];
  action: RegionalAction;
  start?: { kind: 'failover' | 'failback'; name: string; started: boolean };
  /** Skipped: observed less than `detection.sampleSeconds` ago (another invocation did). */
  skipped?: boolean;
}

type RegionState = RegionalDetectorRecord['regions'][string];

const fresh = (now: number): RegionState => ({ ...HEALTHY(now), healthIssueOpen: false });

/** Step Functions execution names: 1-80 of [A-Za-z0-9_-]; a long workload id is cut and hashed. */
export function regionalExecutionName(
  workloadId: string,
  kind: 'failover' | 'failback',
  trigger: string,
  eventAtMs: number,
): string {
  const suffix = `-${kind}-${trigger}-${Math.round(eventAtMs)}`;
  const id = workloadId.replace(/[^A-Za-z0-9_-]/g, '-');
  if (id.length + suffix.length <= 80) return `${id}${suffix}`;
  const hash = createHash('sha256').update(workloadId).digest('hex').slice(0, 8);
  return `${id.slice(0, 80 - suffix.length - 9)}-${hash}${suffix}`;
}

async function latestPredictions(deps: DetectorDeps, workload: Workload): Promise<Prediction[]> {
  const found = await Promise.all(
    workload.metrics.map((m) => deps.repositories.predictions.getLatest(workload.workloadId, m.name)),
  );
  return found.filter((p): p is Prediction => p !== undefined);
}

/**
 * Traffic on the standby (percent) and whether a regional operation runs, from the newest
 * failover/failback operation (the detector needs no DNS permission).
 */
async function regionalOperation(
  deps: DetectorDeps,
  workloadId: string,
): Promise<{ standbyWeight: number; running: boolean }> {
  const page = await deps.repositories.operations.listByWorkload(workloadId, { limit: 20 });
  const last = page.items.find((op) => op.kind === 'failover' || op.kind === 'failback');
  if (!last) return { standbyWeight: 0, running: false };
  return { standbyWeight: last.lastVerifiedWeights?.shadow ?? 0, running: last.status === 'running' };
}

/** The detector's view of a stored region state: its health, without the AWS Health flag. */
const asHealth = (r: RegionState): RegionHealth => ({
  status: r.status,
  streak: r.streak,
  since: r.since,
  reasons: r.reasons,
});

type Detection = NonNullable<Workload['failover']>['detection'];
type HealthIssue = { region: string; open: boolean };

/**
 * The stored regional state with both regions present (a region never seen starts healthy) and the
 * open/closed AWS Health issues of this invocation applied.
 */
async function loadRegions(
  deps: DetectorDeps,
  workload: Workload,
  issues: readonly HealthIssue[],
  now: number,
): Promise<{ stored: RegionalDetectorRecord | undefined; regions: Record<string, RegionState> }> {
  const { home, standby } = regionsOf(workload);
  const stored = await deps.repositories.predictions.getRegionalState(workload.workloadId);
  const regions: Record<string, RegionState> = { ...(stored?.regions ?? {}) };
  for (const region of [home, standby]) regions[region] ??= fresh(now);
  for (const issue of issues) {
    const current = regions[issue.region];
    if (current) regions[issue.region] = { ...current, healthIssueOpen: issue.open };
  }
  return { stored, regions };
}

/**
 * Whether this invocation should skip: several may overlap (the schedule, an AWS Health event, an
 * alarm), so a due-only one observes at most once per sample period and the hysteresis counts
 * observations, not invocations. An invocation carrying health issues always observes.
 */
function observedTooRecently(
  stored: RegionalDetectorRecord | undefined,
  detection: Detection,
  issues: readonly HealthIssue[],
  dueOnly: boolean | undefined,
  now: number,
): boolean {
  return Boolean(
    dueOnly &&
      issues.length === 0 &&
      stored &&
      now - stored.updatedAt < detection.sampleSeconds * 1000 - 1_000,
  );
}

/**
 * Reads each region's newest metrics, judges them and folds the verdict into the region's
 * hysteresis (in place, home first); returns the regions whose status flipped.
 */
async function observeRegions(
  deps: DetectorDeps,
  workload: Workload,
  regions: Record<string, RegionState>,
  detection: Detection,
  windowSeconds: number,
  homeNeeds: number | undefined,
  now: number,
): Promise<string[]> {
  const { home: homeRegion, standby: standbyRegion } = regionsOf(workload);
  const flipped: string[] = [];
  for (const region of [homeRegion, standbyRegion]) {
    const state = regions[region] as RegionState;
    const verdict = judgeRegion(
      await deps.health.read(workload, region, windowSeconds),
      state.healthIssueOpen,
      detection,
      region === homeRegion ? homeNeeds : undefined,
    );
    const next = nextRegionHealth(asHealth(state), verdict, detection, now);
    if (next.status !== state.status) flipped.push(region);
    regions[region] = { ...next, healthIssueOpen: state.healthIssueOpen };
  }
  return flipped;
}

/**
 * Starts the failover or failback a decision calls for, under a name derived from the workload and
 * the event it answers, so a duplicate invocation or a redelivered event never starts a second run.
 */
async function startRegionalRun(
  deps: DetectorDeps,
  workloadId: string,
  action: Exclude<RegionalAction, { kind: 'none' }>,
  predictions: readonly Prediction[],
  home: RegionHealth,
): Promise<NonNullable<DetectorOutcome['start']>> {
  const trigger = action.kind === 'failover' ? action.trigger : 'home-recovered';
  // The event a run answers: the home region's status change, or the forecast that put it at risk.
  const eventAt =
    action.kind === 'failover' && action.trigger === 'predicted-shortfall'
      ? Math.max(0, ...predictions.map((p) => p.generatedAt))
      : home.since;
  const name = regionalExecutionName(workloadId, action.kind, trigger, eventAt);
  const { started } = await deps.starter.start(action.kind, name, {
    workloadId,
    trigger,
    reason: action.reason.slice(0, 1_000),
  });
  return { kind: action.kind, name, started };
}

export async function observeWorkload(
  deps: DetectorDeps,
  workload: Workload,
  options: { healthIssues?: readonly HealthIssue[]; dueOnly?: boolean } = {},
): Promise<DetectorOutcome> {
  const failover = workload.failover;
  const { home: homeRegion, standby: standbyRegion } = regionsOf(workload);
  const detection = failover?.detection as Detection;
  const now = deps.clock.now();
  const issues = options.healthIssues ?? [];
  const { stored, regions } = await loadRegions(deps, workload, issues, now);
  if (observedTooRecently(stored, detection, issues, options.dueOnly, now)) {
    return {
      workloadId: workload.workloadId,
      home: asHealth(regions[homeRegion] as RegionState),
      standby: asHealth(regions[standbyRegion] as RegionState),
      flipped: [],
      action: { kind: 'none', reason: 'observed less than a sample period ago' },
      skipped: true,
    };
  }
  // ALB metrics are per minute: each observation reads the newest published minute.
  const windowSeconds = Math.max(60, detection.sampleSeconds);
  const [operation, predictions] = await Promise.all([
    regionalOperation(deps, workload.workloadId),
    latestPredictions(deps, workload),
  ]);
  // What the forecast says the home region's share of demand needs over the minutes the metrics
  // can describe (the newest published minute is up to a publication delay old): a 5xx or latency
  // breach with fewer healthy hosts than that is a traffic peak the region is short of capacity
  // for, not a degraded region; moving it to the standby moves the overload with it.
  const homeNeeds = expectedUnitsAtFull(
    workload,
    predictions,
    now - (windowSeconds + ALB_METRIC_DELAY_SECONDS + 60) * 1000,
    now,
    (100 - operation.standbyWeight) / 100,
  );
  const flipped = await observeRegions(deps, workload, regions, detection, windowSeconds, homeNeeds, now);
  await deps.repositories.predictions.putRegionalState({
    workloadId: workload.workloadId,
    regions,
    updatedAt: now,
  });
  const home = asHealth(regions[homeRegion] as RegionState);
  const standby = asHealth(regions[standbyRegion] as RegionState);
  const base = { workloadId: workload.workloadId, home, standby, flipped };

  if (operation.running) {
    return { ...base, action: { kind: 'none', reason: 'a regional operation is running' } };
  }
  const risk = forecastRisk(workload, predictions, now);
  const action = decideRegionalAction({
    home,
    standby,
    risk,
    standbyWeight: operation.standbyWeight,
    holdSeconds: failover?.failbackHoldSeconds ?? 1_800,
    now,
  });
  if (action.kind === 'none') return { ...base, action };
  return {
    ...base,
    action,
    start: await startRegionalRun(deps, workload.workloadId, action, predictions, home),
  };
}
