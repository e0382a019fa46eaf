import type { ManualClock } from '../clock';
import { ConfigError, NotFoundError } from '../errors';
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
 * at time t is the authoritative weights averaged over [t - TTL, t]; `stickyShare` of clients
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
  weights: RegionWeights;
}

export class SimRegions {
  readonly home: string;
  readonly standby: string;
  readonly stepMs: number;
  readonly rows: RegionRow[] = [];
  /** Authoritative weight changes, oldest first. */
  private readonly dnsHistory: { at: number; weights: RegionWeights }[] = [];
  private readonly regions = new Map<string, SimRegion>();
  private readonly ttlMs: number;
  private readonly stickyShare: number;
  private readonly stickyMs: number;

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
    this.dnsHistory.push({
      at: now - this.ttlMs - this.stickyMs,
      weights: { [this.home]: 100, [this.standby]: 0 },
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

  private weightsAt(t: number): RegionWeights {
    let out = this.dnsHistory[0]?.weights ?? {};
    for (const h of this.dnsHistory) if (h.at <= t) out = h.weights;
    return out;
  }

  /** Mean authoritative weights over [t - window, t] (step integration at 1 s). */
  private meanWeights(t: number, windowMs: number): Record<string, number> {
    const out: Record<string, number> = { [this.home]: 0, [this.standby]: 0 };
    if (windowMs <= 0) {
      const w = this.weightsAt(t);
      for (const r of Object.keys(out)) out[r] = (w[r] ?? 0) / 100;
      return out;
    }
    const samples = Math.max(1, Math.min(600, Math.round(windowMs / 1000)));
    for (let i = 0; i < samples; i++) {
      const w = this.weightsAt(t - (i * windowMs) / samples);
      for (const r of Object.keys(out)) out[r] = (out[r] ?? 0) + (w[r] ?? 0) / 100 / samples;
    }
    return out;
  }

  /** Share of demand resolving to each region at t. */
  clientShare(t: number): Record<string, number> {
    const fresh = this.meanWeights(t, this.ttlMs);
    if (this.stickyShare <= 0) return fresh;
    const sticky = this.meanWeights(t - this.stickyMs, this.ttlMs);
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
    let unserved = 0;
    for (const [name, region] of this.regions) {
      const wanted = demand * (share[name] ?? 0);
      const capacity = region.ready(t) * this.options.unitCapacity;
      served[name] = Math.min(wanted, capacity);
      unserved += wanted - (served[name] ?? 0);
      units[name] = region.desired();
    }
    this.rows.push({ t, seconds, demand, share, served, unserved, units, weights: this.weightsAt(t) });
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
    setWeights: async (_workload: Workload, weights: RegionWeights) => {
      // Route 53 applies a batch atomically; the router waits INSYNC, so the write is in effect on return.
      this.dnsHistory.push({ at: this.now(), weights: { ...weights } });
    },
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

  /** ALB-like metrics of a region over the window: requests, overload 5xx, healthy hosts. */
  readonly health: RegionalHealthSource = {
    read: async (_workload: Workload, region: string, windowSeconds: number): Promise<TargetHealthResult> => {
      const r = this.region(region);
      const now = this.now();
      if (r.down) return { kind: 'no-data', reason: `region ${region} is not answering` };
      let requests = 0;
      let errors = 0;
      // Rows are in time order: walk back from the newest.
      for (let i = this.rows.length - 1; i >= 0; i--) {
        const row = this.rows[i] as RegionRow;
        if (row.t < now - windowSeconds * 1000) break;
        if (row.t >= now) continue;
        const wanted = row.demand * (row.share[region] ?? 0);
        requests += wanted * row.seconds;
        errors += (wanted - (row.served[region] ?? 0)) * row.seconds;
      }
      const ready = r.ready(now);
      return {
        kind: 'data',
        sample: {
          requestCount: Math.round(requests),
          errors5xx: Math.round(errors),
          p99LatencyMs: requests > 0 ? (errors > 0 ? 2_500 : 120) : undefined,
          unhealthyHosts: r.desired() - ready > 0 && r.failLaunches ? r.desired() - ready : 0,
          healthyHosts: ready,
        },
      };
    },
  };
}
