import type { ManualClock } from '../clock';
import { NotFoundError, NotReadyError, TransientError, ValidationError } from '../errors';
import type { PoolRole, PoolStatus } from '../ports/compute';
import type { TrafficWeights } from '../schemas/operation';
import type { Workload } from '../schemas/workload';
import type { DemandTrace } from './trace';

/**
 * The simulated fleet's physics. Time is continuous inside a step (a unit launched at 12:00 with a
 * 3-minute lag serves 2/5 of the 12:00–12:05 step) and accounted at step boundaries, so a caller
 * may act at any instant (`advanceTo`) and the books stay exact. See `shared/sim/index.ts`.
 */

export interface SimPoolOptions {
  /** Largest desired count the pool accepts (a scale beyond it is refused, as ECS/ASG do). */
  maxUnits: number;
  minUnits?: number;
  /** Price of one unit-hour (pending, ready and draining units are all billed). */
  pricePerUnitHour?: number;
  /** Units ready at the start. Primary default: minUnits (at least 1). Shadow: 0. */
  initialUnits?: number;
}

export interface SimWorkloadOptions {
  workloadId: string;
  /** Demand, in the trace's unit per interval (e.g. requests per 5 min). */
  trace: DemandTrace;
  /** Demand one unit serves at 100% utilisation, in the trace's unit. */
  unitCapacity: number;
  /** Default 0.7. */
  targetUtilization?: number;
  /** Provisioning lag: a unit launched at t is ready at t + lag. Default 3 min. */
  lagMs?: number;
  /** A metric sample for [t, t+interval) becomes visible at t + interval + delay. Default 1 min. */
  metricDelayMs?: number;
  /** How long a scaled-in unit keeps running (billed, taking no new requests). Default 1 min. */
  drainMs?: number;
  primary: SimPoolOptions;
  /** Absent: the workload has no shadow pool (max 0). */
  shadow?: SimPoolOptions;
  /** The definition, to resolve metric queries and target group ARNs before any adapter call. */
  workload?: Workload;
  /** p99 latency of an idle pool, ms. Default 40. */
  baseLatencyMs?: number;
}

export type FailureInjection =
  /** The shadow pool's 5xx rate jumps to `errorRate` (default 0.2) of the requests it serves. */
  | { kind: 'gate'; workloadId?: string; errorRate?: number }
  /** Shadow units launched from now on never become ready. */
  | { kind: 'provision'; workloadId?: string }
  /** The next `times` adapter calls (any port) throw TransientError. */
  | { kind: 'throttle'; times: number };

interface Cohort {
  count: number;
  readyAt: number;
}
interface Drain {
  count: number;
  until: number;
}

/** One pool's units and its integrals over the current step. */
export class SimPool {
  readonly role: PoolRole;
  readonly maxUnits: number;
  readonly minUnits: number;
  readonly pricePerUnitHour: number;
  exists: boolean;
  ready = 0;
  /** Launched, not yet ready, sorted by readyAt (Infinity = will never be ready). */
  pending: Cohort[] = [];
  draining: Drain[] = [];
  actions = 0;
  /** Set when a provisioning failure is injected: new launches never become ready. */
  failNewLaunches = false;
  /** Lowest count the pool's own autoscaling may go to (pre-warm's floor); 0 = only minUnits. */
  floor = 0;
  private lastMs: number;
  /** ∫ ready units dt and ∫ billed units dt over the current step (unit-ms). */
  readyUnitMs = 0;
  billedUnitMs = 0;

  constructor(role: PoolRole, options: SimPoolOptions, nowMs: number) {
    this.role = role;
    this.maxUnits = options.maxUnits;
    this.minUnits = options.minUnits ?? (role === 'primary' ? 1 : 0);
    this.pricePerUnitHour = options.pricePerUnitHour ?? 0;
    const initial = options.initialUnits ?? (role === 'primary' ? Math.max(1, this.minUnits) : 0);
    this.ready = Math.min(initial, this.maxUnits);
    this.exists = role === 'primary' || this.ready > 0;
    this.lastMs = nowMs;
  }

  get pendingCount(): number {
    let n = 0;
    for (const c of this.pending) n += c.count;
    return n;
  }

  get drainingCount(): number {
    let n = 0;
    for (const d of this.draining) n += d.count;
    return n;
  }

  get desired(): number {
    return this.ready + this.pendingCount;
  }

  /** Units launched that will never become ready (a provisioning failure). */
  get stuck(): number {
    let n = 0;
    for (const c of this.pending) if (c.readyAt === Number.POSITIVE_INFINITY) n += c.count;
    return n;
  }

  /** Integrate ready and billed units up to `nowMs`, promoting cohorts whose lag has passed. */
  accrue(nowMs: number): void {
    let t = this.lastMs;
    if (nowMs <= t) return;
    const launched = this.ready + this.pendingCount;
    this.billedUnitMs += launched * (nowMs - t);
    for (const d of this.draining) this.billedUnitMs += d.count * (Math.min(d.until, nowMs) - t);
    if (this.draining.length > 0) this.draining = this.draining.filter((d) => d.until > nowMs);
    while (this.pending.length > 0 && (this.pending[0] as Cohort).readyAt <= nowMs) {
      const c = this.pending.shift() as Cohort;
      const at = Math.max(c.readyAt, t);
      this.readyUnitMs += this.ready * (at - t);
      t = at;
      this.ready += c.count;
    }
    this.readyUnitMs += this.ready * (nowMs - t);
    this.lastMs = nowMs;
  }

  /** Change the desired count at `nowMs` (after accrue). Scale-in cancels pending units first. */
  setDesired(desired: number, nowMs: number, lagMs: number, drainMs: number): void {
    const current = this.desired;
    if (desired === current) return;
    this.actions++;
    if (desired > current) {
      const readyAt = this.failNewLaunches ? Number.POSITIVE_INFINITY : nowMs + lagMs;
      this.pending.push({ count: desired - current, readyAt });
      this.pending.sort((a, b) => a.readyAt - b.readyAt);
      return;
    }
    let remove = current - desired;
    // Newest launches go first: they cost the least and serve nothing yet.
    while (remove > 0 && this.pending.length > 0) {
      const last = this.pending[this.pending.length - 1] as Cohort;
      const take = Math.min(remove, last.count);
      last.count -= take;
      remove -= take;
      if (last.count === 0) this.pending.pop();
    }
    if (remove > 0) {
      this.ready -= remove;
      if (drainMs > 0) this.draining.push({ count: remove, until: nowMs + drainMs });
    }
  }

  /** Start a new step's integrals. */
  resetIntegrals(): void {
    this.readyUnitMs = 0;
    this.billedUnitMs = 0;
  }

  status(): PoolStatus {
    return {
      exists: this.exists,
      desired: this.desired,
      pending: this.pendingCount,
      ready: this.ready,
      draining: this.drainingCount,
    };
  }
}

/** What ALB publishes per target group, columnar: requests, 5xx and p99 per pool and sample. */
export class AlbSamples {
  /** Sample start times. */
  readonly t: number[] = [];
  /** Requests (trace unit) routed to each pool, and those that got a 5xx. */
  readonly requestsPrimary: number[] = [];
  readonly requestsShadow: number[] = [];
  readonly errorsPrimary: number[] = [];
  readonly errorsShadow: number[] = [];
  /** p99 latency, ms (NaN when the pool took no requests). */
  readonly p99Primary: number[] = [];
  readonly p99Shadow: number[] = [];

  get length(): number {
    return this.t.length;
  }

  /**
   * One sample from `demand` split by the shadow `share` over each pool's capacity (both in the
   * trace's unit for the sample's span): the excess gets 5xx, the shadow's served requests also
   * fail at `gateErrorRate`, p99 follows utilisation. Returns the demand left unserved.
   */
  push(
    start: number,
    demand: number,
    share: number,
    capacity: { primary: number; shadow: number },
    w: { gateErrorRate: number; baseLatencyMs: number },
  ): number {
    const reqP = demand * (1 - share);
    const reqS = demand * share;
    const unservedP = Math.max(0, reqP - capacity.primary);
    const unservedS = Math.max(0, reqS - capacity.shadow);
    const p99 = (req: number, cap: number) =>
      req > 0 ? p99Latency(w.baseLatencyMs, cap > 0 ? req / cap : Number.POSITIVE_INFINITY) : Number.NaN;
    this.t.push(start);
    this.requestsPrimary.push(reqP);
    this.requestsShadow.push(reqS);
    this.errorsPrimary.push(unservedP);
    this.errorsShadow.push(unservedS + (reqS - unservedS) * w.gateErrorRate);
    this.p99Primary.push(p99(reqP, capacity.primary));
    this.p99Shadow.push(p99(reqS, capacity.shadow));
    return unservedP + unservedS;
  }
}

/** Columnar history of one workload, one entry per completed step. */
export class FleetHistory extends AlbSamples {
  /** Offered demand in the trace's unit. */
  readonly demand: number[] = [];
  /** Time-averaged ready units over the step. */
  readonly readyPrimary: number[] = [];
  readonly readyShadow: number[] = [];
  /** Time-averaged billed units (pending + ready + draining). */
  readonly billedPrimary: number[] = [];
  readonly billedShadow: number[] = [];
  /** Time-averaged share of traffic (0..1) routed to the shadow pool. */
  readonly shadowShare: number[] = [];
  /** Desired counts at the end of the step. */
  readonly desiredPrimary: number[] = [];
  readonly desiredShadow: number[] = [];
  /** Demand above 100% of ready capacity, in the trace's unit (the part that got errors). */
  readonly unserved: number[] = [];
}

/** ALB-style one-minute samples inside steps longer than a minute (what a health gate reads). */
export class MinuteLog extends AlbSamples {
  /** Step integrals (ready unit-ms per pool, shadow share-ms) at the last minute closed. */
  mark = { readyP: 0, readyS: 0, share: 0 };
}

export class SimWorkload {
  readonly id: string;
  readonly trace: DemandTrace;
  readonly unitCapacity: number;
  readonly targetUtilization: number;
  readonly lagMs: number;
  readonly metricDelayMs: number;
  readonly drainMs: number;
  readonly baseLatencyMs: number;
  readonly primary: SimPool;
  readonly shadow: SimPool;
  readonly history = new FleetHistory();
  readonly minutes = new MinuteLog();
  workload: Workload | undefined;
  weights: TrafficWeights = { primary: 100, shadow: 0 };
  gateErrorRate = 0;
  /** ∫ shadow weight dt over the current step (share·ms). */
  shadowShareMs = 0;
  private weightSinceMs: number;

  constructor(options: SimWorkloadOptions, nowMs: number) {
    this.id = options.workloadId;
    this.trace = options.trace;
    this.unitCapacity = options.unitCapacity;
    this.targetUtilization = options.targetUtilization ?? 0.7;
    this.lagMs = options.lagMs ?? 180_000;
    this.metricDelayMs = options.metricDelayMs ?? 60_000;
    this.drainMs = options.drainMs ?? 60_000;
    this.baseLatencyMs = options.baseLatencyMs ?? 40;
    this.primary = new SimPool('primary', options.primary, nowMs);
    this.shadow = new SimPool('shadow', options.shadow ?? { maxUnits: 0 }, nowMs);
    this.workload = options.workload;
    this.weightSinceMs = nowMs;
  }

  pool(role: PoolRole): SimPool {
    return role === 'primary' ? this.primary : this.shadow;
  }

  /** Trace value of the step starting at `stepStartMs`; 0 outside the trace. */
  demandAt(stepStartMs: number): number {
    const i = Math.floor((stepStartMs - this.trace.startMs) / this.trace.intervalMs);
    return i >= 0 && i < this.trace.values.length ? (this.trace.values[i] as number) : 0;
  }

  accrueWeights(nowMs: number): void {
    if (nowMs > this.weightSinceMs) {
      this.shadowShareMs += (this.weights.shadow / 100) * (nowMs - this.weightSinceMs);
      this.weightSinceMs = nowMs;
    }
  }
}

export interface SimFleetOptions {
  clock: ManualClock;
  /** Accounting step; default the first workload's trace interval. */
  stepMs?: number;
  workloads: readonly SimWorkloadOptions[];
}

const MINUTE_MS = 60_000;

/** p99 latency of a pool at utilisation rho (requests / capacity at 100%): flat, then a knee past ~80%. */
export function p99Latency(baseMs: number, rho: number): number {
  if (!Number.isFinite(rho)) return 60_000;
  if (rho <= 1) return baseMs * (1 + 3 * rho ** 8);
  return Math.min(60_000, baseMs * 4 * (1 + 10 * (rho - 1)));
}

export class SimFleet {
  readonly clock: ManualClock;
  readonly stepMs: number;
  private readonly workloads = new Map<string, SimWorkload>();
  /** The version each pool runs, by `workloadId/role` (deploy-time branching). */
  private readonly versions = new Map<string, string>();
  private stepStartMs: number;
  private minuteStartMs: number;
  private throttleLeft = 0;

  constructor(options: SimFleetOptions) {
    const first = options.workloads[0];
    if (!first) throw new ValidationError('SimFleet needs at least one workload');
    this.clock = options.clock;
    this.stepMs = options.stepMs ?? first.trace.intervalMs;
    this.stepStartMs = options.clock.now();
    this.minuteStartMs = this.stepStartMs;
    for (const w of options.workloads) this.addWorkload(w);
  }

  addWorkload(options: SimWorkloadOptions): SimWorkload {
    if (this.workloads.has(options.workloadId)) {
      throw new ValidationError(`workload ${options.workloadId} is already in the fleet`);
    }
    const w = new SimWorkload(options, this.clock.now());
    this.workloads.set(w.id, w);
    return w;
  }

  get(workloadId: string): SimWorkload {
    const w = this.workloads.get(workloadId);
    if (!w) throw new NotFoundError(`workload ${workloadId} is not in the simulated fleet`);
    return w;
  }

  list(): SimWorkload[] {
    return [...this.workloads.values()];
  }

  now(): number {
    return this.clock.now();
  }

  /** Start of the step in progress. */
  get currentStepStartMs(): number {
    return this.stepStartMs;
  }

  injectFailure(failure: FailureInjection): void {
    if (failure.kind === 'throttle') {
      this.throttleLeft += failure.times;
      return;
    }
    const targets = failure.workloadId ? [this.get(failure.workloadId)] : this.list();
    for (const w of targets) {
      if (failure.kind === 'gate') w.gateErrorRate = failure.errorRate ?? 0.2;
      else w.shadow.failNewLaunches = true;
    }
  }

  /** Undo every injected failure (units already stuck stay stuck until scaled away). */
  clearFailures(): void {
    this.throttleLeft = 0;
    for (const w of this.workloads.values()) {
      w.gateErrorRate = 0;
      w.shadow.failNewLaunches = false;
    }
  }

  /** Adapters call this first: throws TransientError while an injected throttle lasts. */
  checkThrottle(operation: string): void {
    if (this.throttleLeft > 0) {
      this.throttleLeft--;
      throw new TransientError(`simulated throttling on ${operation} (Rate exceeded)`);
    }
  }

  /** Set a pool's desired count now. Refuses counts beyond [0, maxUnits] and a missing shadow pool. */
  setDesired(workloadId: string, role: PoolRole, desired: number): void {
    const w = this.get(workloadId);
    const pool = w.pool(role);
    if (!Number.isInteger(desired) || desired < 0 || desired > pool.maxUnits) {
      throw new ValidationError(
        `desired count ${desired} for the ${role} pool of ${workloadId} is outside 0..${pool.maxUnits}`,
        [{ path: 'desired', message: `must be an integer in 0..${pool.maxUnits}`, received: desired }],
      );
    }
    if (!pool.exists) throw new NotFoundError(`the ${role} pool of ${workloadId} does not exist`);
    const now = this.clock.now();
    pool.accrue(now);
    pool.setDesired(desired, now, w.lagMs, w.drainMs);
  }

  /**
   * The lowest count the pool's own autoscaling may go to (as a scalable target's minimum): the
   * desired count is raised to it now when below. Within [0, maxUnits].
   */
  setFloor(workloadId: string, role: PoolRole, floor: number): void {
    const pool = this.get(workloadId).pool(role);
    if (!Number.isInteger(floor) || floor < 0 || floor > pool.maxUnits) {
      throw new ValidationError(
        `floor ${floor} for the ${role} pool of ${workloadId} is outside 0..${pool.maxUnits}`,
        [{ path: 'floor', message: `must be an integer in 0..${pool.maxUnits}`, received: floor }],
      );
    }
    if (!pool.exists) throw new NotFoundError(`the ${role} pool of ${workloadId} does not exist`);
    pool.floor = floor;
    pool.accrue(this.clock.now());
    if (pool.desired < floor) this.setDesired(workloadId, role, floor);
  }

  /** Create the shadow pool if absent (idempotent) and set its size. */
  ensureShadow(workloadId: string, units: number): PoolStatus {
    const w = this.get(workloadId);
    w.shadow.exists = true;
    this.setDesired(workloadId, 'shadow', units);
    return this.describe(workloadId, 'shadow');
  }

  /** Delete the shadow pool: every unit stops now (no-op when absent). */
  deleteShadow(workloadId: string): void {
    const w = this.get(workloadId);
    if (!w.shadow.exists) return;
    const now = this.clock.now();
    w.shadow.accrue(now);
    if (w.shadow.desired > 0) w.shadow.setDesired(0, now, w.lagMs, 0);
    w.shadow.draining = [];
    w.shadow.exists = false;
    this.versions.delete(`${workloadId}/shadow`);
  }

  /** The version a pool runs; undefined for an absent pool or one never given a version. */
  version(workloadId: string, role: PoolRole): string | undefined {
    if (!this.get(workloadId).pool(role).exists) return undefined;
    return this.versions.get(`${workloadId}/${role}`);
  }

  /**
   * Put a pool on `version`. The simulated rollout keeps every unit serving (a rolling update
   * with 100 % minimum healthy), so its status does not change: only what it runs does.
   */
  setVersion(workloadId: string, role: PoolRole, version: string): void {
    if (!this.get(workloadId).pool(role).exists) {
      throw new NotFoundError(`the ${role} pool of ${workloadId} does not exist`);
    }
    this.versions.set(`${workloadId}/${role}`, version);
  }

  describe(workloadId: string, role: PoolRole): PoolStatus {
    const pool = this.get(workloadId).pool(role);
    pool.accrue(this.clock.now());
    return pool.status();
  }

  /**
   * Route traffic. Weights are integers summing to 100, and never send traffic to a pool with no
   * ready unit (NotReadyError), as a careful router adapter refuses it.
   */
  setWeights(workloadId: string, weights: TrafficWeights): void {
    const { primary, shadow } = weights;
    if (!Number.isInteger(primary) || !Number.isInteger(shadow) || primary < 0 || shadow < 0) {
      throw new ValidationError(`weights ${JSON.stringify(weights)} must be non-negative integers`);
    }
    if (primary + shadow !== 100) {
      throw new ValidationError(`weights ${JSON.stringify(weights)} must sum to 100`, [
        { path: 'shadow', message: 'primary + shadow must be 100', received: weights },
      ]);
    }
    const w = this.get(workloadId);
    const now = this.clock.now();
    for (const role of ['primary', 'shadow'] as const) {
      const pool = w.pool(role);
      pool.accrue(now);
      if (weights[role] > 0 && (!pool.exists || pool.ready === 0)) {
        throw new NotReadyError(
          `refusing weight ${weights[role]} on the ${role} pool of ${workloadId}: no ready unit`,
        );
      }
    }
    w.accrueWeights(now);
    w.weights = { primary, shadow };
  }

  getWeights(workloadId: string): TrafficWeights {
    return { ...this.get(workloadId).weights };
  }

  /** Advance to `ms`, closing every minute and step boundary on the way. */
  advanceTo(ms: number): void {
    if (ms < this.clock.now()) throw new ValidationError(`cannot move the simulated clock back to ${ms}`);
    const fine = this.stepMs > MINUTE_MS && this.stepMs % MINUTE_MS === 0;
    for (;;) {
      const stepEnd = this.stepStartMs + this.stepMs;
      const minuteEnd = fine ? this.minuteStartMs + MINUTE_MS : Number.POSITIVE_INFINITY;
      const end = Math.min(stepEnd, minuteEnd);
      if (end > ms) break;
      this.clock.set(end);
      if (end === minuteEnd) {
        for (const w of this.workloads.values()) this.closeMinute(w, this.minuteStartMs, end);
        this.minuteStartMs = end;
      }
      if (end === stepEnd) {
        for (const w of this.workloads.values()) this.closeStep(w, this.stepStartMs, end);
        this.stepStartMs = end;
        this.minuteStartMs = end;
      }
    }
    this.clock.set(ms);
  }

  /**
   * One ALB minute inside a longer step: demand spread evenly over the step, ready capacity and
   * the shadow share integrated over the minute, errors and p99 as `closeStep` computes them.
   */
  private closeMinute(w: SimWorkload, start: number, end: number): void {
    w.primary.accrue(end);
    w.shadow.accrue(end);
    w.accrueWeights(end);
    const span = end - start;
    const m = w.minutes;
    const readyP = (w.primary.readyUnitMs - m.mark.readyP) / span;
    const readyS = (w.shadow.readyUnitMs - m.mark.readyS) / span;
    const share = (w.shadowShareMs - m.mark.share) / span;
    m.mark = { readyP: w.primary.readyUnitMs, readyS: w.shadow.readyUnitMs, share: w.shadowShareMs };
    const perStep = span / this.stepMs;
    m.push(
      start,
      w.demandAt(this.stepStartMs) * perStep,
      share,
      {
        primary: readyP * w.unitCapacity * perStep,
        shadow: readyS * w.unitCapacity * perStep,
      },
      w,
    );
  }

  /** Advance to the end of the step in progress. */
  step(): void {
    this.advanceTo(this.stepStartMs + this.stepMs);
  }

  private closeStep(w: SimWorkload, start: number, end: number): void {
    const span = end - start;
    w.primary.accrue(end);
    w.shadow.accrue(end);
    w.accrueWeights(end);
    const h = w.history;
    const demand = w.demandAt(start);
    const readyP = w.primary.readyUnitMs / span;
    const readyS = w.shadow.readyUnitMs / span;
    const share = w.shadowShareMs / span;
    const unserved = h.push(
      start,
      demand,
      share,
      {
        primary: readyP * w.unitCapacity,
        shadow: readyS * w.unitCapacity,
      },
      w,
    );
    h.demand.push(demand);
    h.readyPrimary.push(readyP);
    h.readyShadow.push(readyS);
    h.billedPrimary.push(w.primary.billedUnitMs / span);
    h.billedShadow.push(w.shadow.billedUnitMs / span);
    h.shadowShare.push(share);
    h.desiredPrimary.push(w.primary.desired);
    h.desiredShadow.push(w.shadow.desired);
    h.unserved.push(unserved);
    w.primary.resetIntegrals();
    w.shadow.resetIntegrals();
    w.shadowShareMs = 0;
    w.minutes.mark = { readyP: 0, readyS: 0, share: 0 };
  }

  /** Index range [from, to) of completed steps whose samples are visible at `nowMs` (metric delay). */
  visibleSteps(workloadId: string, nowMs = this.clock.now()): number {
    const w = this.get(workloadId);
    const h = w.history;
    let n = h.length;
    while (n > 0 && (h.t[n - 1] as number) + this.stepMs + w.metricDelayMs > nowMs) n--;
    return n;
  }
}
