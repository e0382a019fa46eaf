import type { ManualClock } from '../clock';
import { ConfigError, NotFoundError } from '../errors';
import { ALB_METRIC_DELAY_SECONDS, staleAfterSeconds } from '../failover/health';
import type { PoolStatus } from '../ports/compute';
import type { TargetHealthResult } from '../ports/metrics';
import type { RegionalHealthSource, StandbyPool } from '../ports/regions';
import type { RegionRouter, RegionWeights } from '../ports/traffic';
import type { Workload } from '../schemas/workload';

/**
 * Two regions behind weighted DNS, in simulated time. Each region runs a pool of units (launched
 * units become ready one provisioning lag later; a region that is down serves nothing and reports
 * no healthy host). DNS clients honour the TTL: a client re-resolves when its cached answer
 * expires, and cache ages are spread evenly over the TTL, so the share of demand each region gets
 * at time t is the authoritative weights averaged over [t - TTL, t]. When the TTL changes, each
 * answer keeps the TTL it was given: clients that resolved at s hold weights(s) until s + TTL(s),
 * and resolve at a rate 1 / TTL(s), so a lowered TTL takes effect one old TTL later; `stickyShare` of clients
 * ignore the TTL and keep the answer they had for `stickyMs` longer (resolvers that pin answers).
 * The books (served / unserved per region, per step) are exact at the step size.
 */
export interface SimRegionsOptions {
  clock: ManualClock;
  workload: Workload;
  /** Demand rate (requests per second) at time t. */
  demand: (t: number) => number;
  /** Requests per second one unit serves at 100 % utilisation. */
  unitCapacity: number;
  lagMs: number;
  homeUnits: number;
  standbyUnits: number;
  stepMs?: number;
  stickyShare?: number;
  stickyMs?: number;
  /**
   * Seconds after the end of a minute until its ALB metrics can be read (CloudWatch's publication
   * delay); default `ALB_METRIC_DELAY_SECONDS`. 0 reads the minute as soon as it ends.
   */
  metricDelaySeconds?: number;
}

interface Launch {
  readyAt: number;
}

class SimRegion {
  launches: Launch[] = [];
  down = false;
  /** New launches never become healthy (a broken standby). */
  failLaunches = false;
  constructor(
    readonly name: string,
    units: number,
    now: number,
  ) {
    for (let i = 0; i < units; i++) this.launches.push({ readyAt: now });
  }
  desired(): number {
    return this.launches.length;
  }
  ready(now: number): number {
    if (this.down) return 0;
    return this.launches.filter((l) => l.readyAt <= now).length;
  }
}

export interface RegionRow {
  t: number;
  /** Length of the row, seconds. */
  seconds: number;
  demand: number;
  /** Share of demand resolving to each region (after TTL caching). */
  share: Record<string, number>;
  served: Record<string, number>;
  unserved: number;
  units: Record<string, number>;
  /** Regions that were down during the row. */
  down?: Record<string, boolean>;
  /** Ready (healthy) units per region at the row's start; 0 while the region is down. */
  ready: Record<string, number>;
  weights: RegionWeights;
}

export class SimRegions {
  readonly home: string;
  readonly standby: string;
  readonly stepMs: number;
  readonly rows: RegionRow[] = [];
  /** Authoritative weight changes, oldest first. */
  private readonly dnsHistory: { at: number; weights: RegionWeights; ttlMs: number }[] = [];
  private readonly regions = new Map<string, SimRegion>();
  private readonly ttlMs: number;
  private readonly stickyShare: number;
  private readonly stickyMs: number;
  /** When the books begin, and each region's ready units then (the history before it is steady). */
  private readonly startedAt: number;
  private readonly initialReady: Record<string, number>;

  constructor(private readonly options: SimRegionsOptions) {
    const { workload, clock } = options;
    if (!workload.regions.standby || !workload.failover) {
      throw new ConfigError(
        `workload ${workload.workloadId} needs a standby region and failover configuration`,
      );
    }
    this.home = workload.regions.primary;
    this.standby = workload.regions.standby;
    this.stepMs = options.stepMs ?? 10_000;
    this.ttlMs = workload.failover.dns.ttlSeconds * 1000;
    this.stickyShare = options.stickyShare ?? 0;
    this.stickyMs = options.stickyMs ?? 0;
    const now = clock.now();
    this.regions.set(this.home, new SimRegion(this.home, options.homeUnits, now));
    this.regions.set(this.standby, new SimRegion(this.standby, options.standbyUnits, now));
    this.startedAt = now;
    this.initialReady = { [this.home]: options.homeUnits, [this.standby]: options.standbyUnits };
    this.dnsHistory.push({
      at: now - this.ttlMs - this.stickyMs,
      weights: { [this.home]: 100, [this.standby]: 0 },
      ttlMs: this.ttlMs,
    });
  }

  now(): number {
    return this.options.clock.now();
  }

  region(name: string): SimRegion {
    const r = this.regions.get(name);
    if (!r) throw new NotFoundError(`region ${name} is not simulated`);
    return r;
  }

  setDown(name: string, down: boolean): void {
    this.region(name).down = down;
  }

  failStandbyLaunches(): void {
    this.region(this.standby).failLaunches = true;
  }

  weights(): RegionWeights {
    return { ...(this.dnsHistory.at(-1)?.weights ?? {}) };
  }

  private entryAt(t: number): { weights: RegionWeights; ttlMs: number } {
    let out = this.dnsHistory[0] ?? { weights: {}, ttlMs: this.ttlMs };
    for (const h of this.dnsHistory) if (h.at <= t) out = h;
    return out;
  }

  private weightsAt(t: number): RegionWeights {
    return this.entryAt(t).weights;
  }

  /** The TTL resolvers are handed now, seconds. */
  ttlSeconds(): number {
    return (this.dnsHistory.at(-1)?.ttlMs ?? this.ttlMs) / 1000;
  }

  /**
   * Share of clients on each region's answer at t: answers given at s (rate 1 / TTL(s)) still
   * cached at t (s + TTL(s) > t), integrated at 1 s over the longest TTL in play.
   */
  private meanWeights(t: number): Record<string, number> {
    const out: Record<string, number> = { [this.home]: 0, [this.standby]: 0 };
    const maxTtl = Math.max(...this.dnsHistory.map((h) => h.ttlMs));
    if (maxTtl <= 0) {
      const w = this.weightsAt(t);
      for (const r of Object.keys(out)) out[r] = (w[r] ?? 0) / 100;
      return out;
    }
    const samples = Math.max(1, Math.min(600, Math.round(maxTtl / 1000)));
    const dt = maxTtl / samples;
    let total = 0;
    for (let i = 0; i < samples; i++) {
      const s = t - i * dt;
      const { weights, ttlMs } = this.entryAt(s);
      if (ttlMs <= 0) {
        if (i > 0) continue;
        // TTL 0: nobody caches; the answer now is what everyone gets.
        for (const r of Object.keys(out)) out[r] = (weights[r] ?? 0) / 100;
        return out;
      }
      if (s + ttlMs <= t) continue;
      const rate = 1 / ttlMs;
      total += rate;
      for (const r of Object.keys(out)) out[r] = (out[r] ?? 0) + ((weights[r] ?? 0) / 100) * rate;
    }
    if (total > 0) for (const r of Object.keys(out)) out[r] = (out[r] ?? 0) / total;
    return out;
  }

  /** Share of demand resolving to each region at t. */
  clientShare(t: number): Record<string, number> {
    const fresh = this.meanWeights(t);
    if (this.stickyShare <= 0) return fresh;
    const sticky = this.meanWeights(t - this.stickyMs);
    const out: Record<string, number> = {};
    for (const r of Object.keys(fresh)) {
      out[r] = (1 - this.stickyShare) * (fresh[r] ?? 0) + this.stickyShare * (sticky[r] ?? 0);
    }
    return out;
  }

  /** Run the books forward to `ms`, one step at a time. */
  advanceTo(ms: number): void {
    const clock = this.options.clock;
    while (clock.now() < ms) {
      const next = Math.min(ms, clock.now() + this.stepMs);
      this.record(clock.now(), (next - clock.now()) / 1000);
      clock.set(next);
    }
  }

  private record(t: number, seconds: number): void {
    const demand = Math.max(0, this.options.demand(t));
    const share = this.clientShare(t);
    const served: Record<string, number> = {};
    const units: Record<string, number> = {};
    const ready: Record<string, number> = {};
    const down: Record<string, boolean> = {};
    let unserved = 0;
    for (const [name, region] of this.regions) {
      const wanted = demand * (share[name] ?? 0);
      const capacity = region.ready(t) * this.options.unitCapacity;
      served[name] = Math.min(wanted, capacity);
      unserved += wanted - (served[name] ?? 0);
      units[name] = region.desired();
      ready[name] = region.ready(t);
      down[name] = region.down;
    }
    this.rows.push({
      t,
      seconds,
      demand,
      share,
      served,
      unserved,
      units,
      ready,
      down,
      weights: this.weightsAt(t),
    });
  }

  /** Sum of the rows' requests over [from, to): demand, served, unserved (requests, at the step size). */
  totals(fromMs = Number.NEGATIVE_INFINITY, toMs = Number.POSITIVE_INFINITY) {
    let demand = 0;
    let unserved = 0;
    for (const r of this.rows) {
      if (r.t < fromMs || r.t >= toMs) continue;
      demand += r.demand * r.seconds;
      unserved += r.unserved * r.seconds;
    }
    return { demand, unserved, served: demand - unserved };
  }

  // ports ------------------------------------------------------------------------------------

  readonly router: RegionRouter = {
    getWeights: async () => this.weights(),
    setWeights: async (_workload: Workload, weights: RegionWeights, options?: { ttlSeconds?: number }) => {
      // Route 53 applies a batch atomically; the router waits INSYNC, so the write is in effect on
      // return. A write without a TTL writes the record set's configured one (as the Route 53 router).
      const ttlMs = options?.ttlSeconds !== undefined ? options.ttlSeconds * 1000 : this.ttlMs;
      this.dnsHistory.push({ at: this.now(), weights: { ...weights }, ttlMs });
    },
    getTtl: async () => this.ttlSeconds(),
  };

  readonly standbyPool: StandbyPool = {
    describe: async (): Promise<PoolStatus> => {
      const r = this.region(this.standby);
      const ready = r.ready(this.now());
      return { exists: true, desired: r.desired(), ready, pending: r.desired() - ready, draining: 0 };
    },
    scale: async (_workload: Workload, desired: number) => {
      const r = this.region(this.standby);
      const now = this.now();
      while (r.launches.length < desired) {
        r.launches.push({ readyAt: r.failLaunches ? Number.POSITIVE_INFINITY : now + this.options.lagMs });
      }
      // Scale-in drops the newest (not yet ready) units first.
      r.launches.sort((a, b) => a.readyAt - b.readyAt);
      r.launches.length = Math.min(r.launches.length, Math.max(0, desired));
    },
  };

  /**
   * One region's ALB minute [m, m + 60 s) as CloudWatch would hold it: requests, overload 5xx and
   * the healthy hosts at the minute's end; undefined when the region was down the whole minute
   * (its load balancer published nothing) or the books do not cover it.
   */
  private minute(region: string, m: number): MinuteDatapoint | undefined {
    if (m + MINUTE <= this.startedAt) {
      // Before the books begin the regions ran as they start: served their share, no errors.
      const requests = 60 * Math.max(0, this.options.demand(m)) * ((this.weightsAt(m)[region] ?? 0) / 100);
      return { requests, errors: 0, healthy: this.initialReady[region] ?? 0 };
    }
    let requests = 0;
    let errors = 0;
    let up = false;
    let healthy = 0;
    let seen = false;
    for (let i = this.rows.length - 1; i >= 0; i--) {
      const row = this.rows[i] as RegionRow;
      if (row.t < m) break;
      if (row.t >= m + MINUTE) continue;
      seen = true;
      const wanted = row.demand * (row.share[region] ?? 0);
      requests += wanted * row.seconds;
      errors += (wanted - (row.served[region] ?? 0)) * row.seconds;
      if (!row.down?.[region]) up = true;
      if (healthy === 0 && row.t + row.seconds * 1000 >= m + MINUTE) healthy = row.ready[region] ?? 0;
    }
    if (!seen || !up) return undefined;
    return { requests, errors, healthy };
  }

  /**
   * ALB-like metrics of a region, as `CloudWatchRegionalHealth` reads them: the newest `window` of
   * one-minute datapoints published by now (a minute is readable `metricDelaySeconds` after it
   * ends), no data when the newest one ended longer ago than `staleAfterSeconds` (the region's
   * load balancer stopped publishing: it is not answering).
   */
  readonly health: RegionalHealthSource = {
    read: async (
      _workload: Workload,
      region: string,
      windowSeconds: number,
      options?: { sinceMs?: number },
    ): Promise<TargetHealthResult> => {
      const since = options?.sinceMs ?? Number.NEGATIVE_INFINITY;
      this.region(region);
      const now = this.now();
      const delayMs = (this.options.metricDelaySeconds ?? ALB_METRIC_DELAY_SECONDS) * 1000;
      const staleMs = staleAfterSeconds(this.options.metricDelaySeconds ?? ALB_METRIC_DELAY_SECONDS) * 1000;
      const minutes = Math.max(1, Math.ceil(windowSeconds / 60));
      let newest = Math.floor((now - delayMs) / MINUTE) * MINUTE - MINUTE;
      let found: MinuteDatapoint | undefined;
      for (; newest + MINUTE >= now - staleMs && newest >= since; newest -= MINUTE) {
        found = this.minute(region, newest);
        if (found) break;
      }
      if (!found) {
        return { kind: 'no-data', reason: `no ALB datapoint for ${region} in the last ${staleMs / 1000}s` };
      }
      let requests = found.requests;
      let errors = found.errors;
      for (let k = 1; k < minutes && newest - k * MINUTE >= since; k++) {
        const older = this.minute(region, newest - k * MINUTE);
        if (!older) continue;
        requests += older.requests;
        errors += older.errors;
      }
      return {
        kind: 'data',
        sample: {
          requestCount: Math.round(requests),
          errors5xx: Math.round(errors),
          p99LatencyMs: requests > 0 ? (errors > 0.5 ? 2_500 : 120) : undefined,
          unhealthyHosts: 0,
          healthyHosts: found.healthy,
        },
      };
    },
  };
}

const MINUTE = 60_000;

interface MinuteDatapoint {
  requests: number;
  errors: number;
  healthy: number;
}
