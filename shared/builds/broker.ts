import type { ProfileQuantiles } from './predictor';
import { type ComputeTypeName, FARGATE_SIZES, type RegionPrices } from './prices';
import { runtimeSeconds } from './speedup';

/**
 * The resource broker: from a stage's predicted profile, its deadline and the run's budget, the
 * cheapest allocation whose predicted finish (start delay + run time at the planning quantile)
 * meets the deadline.
 *
 * Cost: every option is priced at its list rate for its run time at the median (the expected
 * bill). A reserved instance is already paid for, but it is priced too: an instance one stage
 * holds longer or larger than it needs is one the next stage cannot use (the opportunity cost),
 * so size is chosen by price and the tier by availability — at equal price the reserved fleet
 * wins because it starts without provisioning.
 *
 * Fallback, in this order, when the preferred option is not available now:
 *   1. `queue`      — wait for the same reserved compute type, if the predicted wait still meets
 *                     the deadline and is no longer than an on-demand build takes to start
 *                     (waiting longer would trade queue time for a saving the run's deadline
 *                     and the p95 queue of everyone behind it pay for);
 *   2. `pack`       — another reserved compute type that is free now and still meets the
 *                     deadline (already paid for, starts at once);
 *   3. `overflow`   — the same compute type on demand (or Fargate when Fargate Spot has no
 *                     capacity);
 *   4. `other-tier` — the cheapest available option of any size that meets the deadline;
 *   5. `best-effort`— nothing available meets the deadline within the budget: the earliest
 *                     finish within the budget, else the cheapest option (`over-budget`).
 * Every allocation records which option was preferred and why it was or was not taken.
 */

export type Tier = 'reserved' | 'on-demand' | 'fargate' | 'fargate-spot';

export interface BrokerComponent {
  pipeline: string;
  stage: string;
  /** `codebuild`: a CodeBuild project; `ecs-task`: a workflow's ECS task on Fargate. */
  kind: 'codebuild' | 'ecs-task';
  /** Amdahl parallel fraction of the stage (shared/builds/speedup.ts). */
  parallelFraction: number;
  /** May run on Fargate Spot (idempotent work that tolerates a two-minute interruption). */
  interruptible?: boolean;
  /** Smallest memory the stage fits in. */
  minMemoryGb?: number;
}

export interface PoolAvailability {
  /** Free reserved-fleet instances per compute type; a type without a fleet is absent. */
  reservedFree: Partial<Record<ComputeTypeName, number>>;
  /** Predicted seconds until a reserved instance of the type frees up, when none is free. */
  reservedWaitSeconds?: Partial<Record<ComputeTypeName, number>>;
  /** On-demand CodeBuild capacity may be requested (account concurrency not exhausted). */
  onDemandAvailable: boolean;
  /** Fargate Spot currently has capacity. @default true */
  spotAvailable?: boolean;
}

export interface BrokerRequest {
  component: BrokerComponent;
  prediction: { agentSeconds: ProfileQuantiles };
  /** Seconds from now by which the stage should finish. */
  deadlineSeconds: number;
  /** USD this stage may spend (its share of the pipeline run's budget, borrowed credit included). */
  budgetUsd: number;
  /** Quantile of the work the finish is planned at. */
  planQuantile: 0.5 | 0.8 | 0.9;
  pool: PoolAvailability;
  prices: RegionPrices;
}

export interface AllocationOption {
  id: string;
  tier: Tier;
  computeType?: ComputeTypeName;
  vcpu: number;
  memoryGb: number;
  startDelaySeconds: number;
  runtimeSeconds: number;
  finishSeconds: number;
  expectedCostUsd: number;
  /** Billable rate of the option, USD per second (for the replay's bill). */
  usdPerSecond: number;
}

export type FallbackStep = 'queue' | 'pack' | 'overflow' | 'other-tier' | 'best-effort';

export interface Allocation extends AllocationOption {
  meetsDeadline: boolean;
  withinBudget: boolean;
  /** Id of the cheapest option meeting the deadline had everything been available. */
  preferred: string;
  fallback?: FallbackStep;
  reason: string;
  codebuild?: { computeTypeOverride: string; useReservedFleet: boolean };
  ecs?: {
    capacityProviderStrategy: {
      capacityProvider: 'FARGATE' | 'FARGATE_SPOT';
      weight: number;
      base: number;
    }[];
    cpu: string;
    memory: string;
  };
}

const quantileOf = (q: ProfileQuantiles, plan: BrokerRequest['planQuantile']): number =>
  plan === 0.5 ? q.q50 : plan === 0.8 ? q.q80 : q.q90;

/** Every option for the component, each with the start delay it would have right now. */
export function options(req: BrokerRequest, assumeAvailable = false): AllocationOption[] {
  const { component, prediction, prices, pool } = req;
  const planned = quantileOf(prediction.agentSeconds, req.planQuantile);
  const median = prediction.agentSeconds.q50;
  const p = component.parallelFraction;
  const out: AllocationOption[] = [];
  const add = (o: Omit<AllocationOption, 'runtimeSeconds' | 'finishSeconds' | 'expectedCostUsd'>) => {
    if (component.minMemoryGb !== undefined && o.memoryGb < component.minMemoryGb) return;
    const runtime = runtimeSeconds(planned, p, o.vcpu);
    out.push({
      ...o,
      runtimeSeconds: runtime,
      finishSeconds: o.startDelaySeconds + runtime,
      expectedCostUsd: runtimeSeconds(median, p, o.vcpu) * o.usdPerSecond,
    });
  };
  if (component.kind === 'codebuild') {
    for (const type of prices.codebuild) {
      const free = pool.reservedFree[type.name];
      if (free !== undefined) {
        const wait =
          free > 0 || assumeAvailable
            ? 0
            : (pool.reservedWaitSeconds?.[type.name] ?? Number.POSITIVE_INFINITY);
        add({
          id: `reserved:${type.name}`,
          tier: 'reserved',
          computeType: type.name,
          vcpu: type.vcpu,
          memoryGb: type.memoryGb,
          startDelaySeconds: prices.provisioningSeconds.reserved + wait,
          usdPerSecond: type.reservedPerMinute / 60,
        });
      }
      add({
        id: `on-demand:${type.name}`,
        tier: 'on-demand',
        computeType: type.name,
        vcpu: type.vcpu,
        memoryGb: type.memoryGb,
        startDelaySeconds: prices.provisioningSeconds.onDemand,
        usdPerSecond: type.onDemandPerMinute / 60,
      });
    }
  } else {
    const f = prices.fargate;
    for (const size of FARGATE_SIZES) {
      add({
        id: `fargate:${size.vcpu}`,
        tier: 'fargate',
        vcpu: size.vcpu,
        memoryGb: size.memoryGb,
        startDelaySeconds: prices.provisioningSeconds.fargate,
        usdPerSecond: (size.vcpu * f.perVcpuHour + size.memoryGb * f.perGbHour) / 3600,
      });
      if (component.interruptible)
        add({
          id: `fargate-spot:${size.vcpu}`,
          tier: 'fargate-spot',
          vcpu: size.vcpu,
          memoryGb: size.memoryGb,
          startDelaySeconds: prices.provisioningSeconds.fargate,
          usdPerSecond: (size.vcpu * f.spotPerVcpuHour + size.memoryGb * f.spotPerGbHour) / 3600,
        });
    }
  }
  return out;
}

function available(o: AllocationOption, pool: PoolAvailability): boolean {
  if (o.tier === 'reserved') return (pool.reservedFree[o.computeType as ComputeTypeName] ?? 0) > 0;
  if (o.tier === 'on-demand') return pool.onDemandAvailable;
  if (o.tier === 'fargate-spot') return pool.spotAvailable ?? true;
  return true;
}

const cheapest = (list: readonly AllocationOption[]): AllocationOption | undefined =>
  [...list].sort(
    (a, b) => a.expectedCostUsd - b.expectedCostUsd || a.finishSeconds - b.finishSeconds || a.vcpu - b.vcpu,
  )[0];
const earliest = (list: readonly AllocationOption[]): AllocationOption | undefined =>
  [...list].sort((a, b) => a.finishSeconds - b.finishSeconds || a.expectedCostUsd - b.expectedCostUsd)[0];

/**
 * The option the stage gets when every tier has capacity: the cheapest meeting the deadline within
 * budget, else the earliest finish within budget, else the cheapest.
 */
function preferredOption(req: BrokerRequest): AllocationOption {
  const meets = (o: AllocationOption) => o.finishSeconds <= req.deadlineSeconds;
  const affordable = (o: AllocationOption) => o.expectedCostUsd <= req.budgetUsd;
  const ideal = options(req, true);
  const preferred =
    cheapest(ideal.filter((o) => meets(o) && affordable(o))) ??
    earliest(ideal.filter(affordable)) ??
    cheapest(ideal);
  if (!preferred) throw new RangeError(`no option can run ${req.component.pipeline}/${req.component.stage}`);
  return preferred;
}

/** Why the preferred option cannot be had now, by its tier. */
function unavailableReason(preferred: AllocationOption): string {
  return preferred.tier === 'reserved'
    ? 'reserved fleet exhausted'
    : preferred.tier === 'fargate-spot'
      ? 'no Fargate Spot capacity'
      : 'on-demand capacity unavailable';
}

/** The allocation for one stage (pure; table-tested). */
export function allocate(req: BrokerRequest): Allocation {
  const meets = (o: AllocationOption) => o.finishSeconds <= req.deadlineSeconds;
  const affordable = (o: AllocationOption) => o.expectedCostUsd <= req.budgetUsd;
  const preferred = preferredOption(req);
  const now = options(req, false);
  const current = now.find((o) => o.id === preferred.id);
  const finish = (o: AllocationOption, fallback: FallbackStep | undefined, reason: string): Allocation =>
    withOverrides({
      ...o,
      meetsDeadline: meets(o),
      withinBudget: affordable(o),
      preferred: preferred.id,
      ...(fallback ? { fallback } : {}),
      reason,
    });
  if (current && available(current, req.pool))
    return finish(
      current,
      undefined,
      meets(current)
        ? 'cheapest option meeting the deadline'
        : 'no option meets the deadline within budget: earliest finish',
    );
  const why = unavailableReason(preferred);
  // 1. queue for the same reserved type, never longer than an on-demand start
  if (
    preferred.tier === 'reserved' &&
    current &&
    current.startDelaySeconds <= req.prices.provisioningSeconds.onDemand &&
    meets(current)
  )
    return finish(
      current,
      'queue',
      `${preferred.id}: ${why}; queue ${Math.round(current.startDelaySeconds)} s, still meets the deadline`,
    );
  // 2. another reserved type that is free now
  const packed = cheapest(
    now.filter((o) => o.tier === 'reserved' && available(o, req.pool) && meets(o) && affordable(o)),
  );
  if (packed)
    return finish(packed, 'pack', `${preferred.id}: ${why}; ${packed.id} is free and meets the deadline`);
  // 3. the same size on another tier
  const sameSize = now.find(
    (o) =>
      o.id !== preferred.id &&
      o.vcpu === preferred.vcpu &&
      (o.tier === 'on-demand' || o.tier === 'fargate') &&
      available(o, req.pool) &&
      meets(o) &&
      affordable(o),
  );
  if (sameSize) return finish(sameSize, 'overflow', `${preferred.id}: ${why}; overflow to ${sameSize.id}`);
  // 4. any available option meeting the deadline
  const usable = now.filter(
    (o) => available(o, req.pool) || (o.tier === 'reserved' && Number.isFinite(o.startDelaySeconds)),
  );
  const other = cheapest(usable.filter((o) => meets(o) && affordable(o)));
  if (other) return finish(other, 'other-tier', `${preferred.id}: ${why}; ${other.id} meets the deadline`);
  // 5. best effort
  const best = earliest(usable.filter(affordable)) ?? cheapest(usable);
  if (!best)
    throw new RangeError(`no capacity available for ${req.component.pipeline}/${req.component.stage}`);
  return finish(
    best,
    'best-effort',
    affordable(best)
      ? `${preferred.id}: ${why}; nothing available meets the deadline, earliest finish ${best.id}`
      : `${preferred.id}: ${why}; over-budget, cheapest ${best.id}`,
  );
}

function withOverrides(a: Allocation): Allocation {
  if (a.tier === 'reserved' || a.tier === 'on-demand')
    return {
      ...a,
      codebuild: {
        computeTypeOverride: `BUILD_GENERAL1_${a.computeType}`,
        useReservedFleet: a.tier === 'reserved',
      },
    };
  return {
    ...a,
    ecs: {
      capacityProviderStrategy: [
        { capacityProvider: a.tier === 'fargate-spot' ? 'FARGATE_SPOT' : 'FARGATE', weight: 1, base: 0 },
      ],
      cpu: String(Math.round(a.vcpu * 1024)),
      memory: String(Math.round(a.memoryGb * 1024)),
    },
  };
}
