import { z } from 'zod';
import { arn, Percent, Quantile, Region, WorkloadId } from './common';

/** The compute a workload runs on: an ECS service or an EKS managed nodegroup. */
export const EcsCompute = z.strictObject({
  kind: z.literal('ecs'),
  cluster: z.string().min(1),
  service: z.string().min(1),
  /** Name of the shadow service; default `<service>-shadow`. */
  shadowService: z.string().min(1).optional(),
  /** Scaled-down task size for the shadow copy (Fargate CPU units / MiB); default the primary's. */
  shadowTaskCpu: z.number().int().positive().optional(),
  shadowTaskMemory: z.number().int().positive().optional(),
  /** Container port registered with the shadow target group; default the primary's first mapping. */
  containerName: z.string().min(1).optional(),
  containerPort: z.number().int().min(1).max(65535).optional(),
});

export const EksCompute = z.strictObject({
  kind: z.literal('eks'),
  cluster: z.string().min(1),
  nodegroup: z.string().min(1),
  /** Name of the shadow nodegroup; default `<nodegroup>-shadow`. */
  shadowNodegroup: z.string().min(1).optional(),
  /** Instance types for the shadow nodegroup; default the primary's. */
  shadowInstanceTypes: z.array(z.string().min(1)).min(1).optional(),
});

export const Compute = z.discriminatedUnion('kind', [EcsCompute, EksCompute]);

/** Where traffic is split: an ALB listener's default action, or one listener rule. */
export const Traffic = z.strictObject({
  listenerArn: arn('elasticloadbalancing'),
  /** When set, the weights live on this rule instead of the listener's default action. */
  ruleArn: arn('elasticloadbalancing').optional(),
  primaryTargetGroupArn: arn('elasticloadbalancing'),
  shadowTargetGroupArn: arn('elasticloadbalancing'),
  /** Optional: the ALB's CloudWatch dimension (`app/name/id`) used by health gates. */
  loadBalancerDimension: z.string().min(1).optional(),
});

/**
 * A metric Shadowscale forecasts for this workload. `capacityPerUnit` says how much of this
 * metric one unit (task or node) serves at 100% utilisation, so demand converts into units.
 */
export const WorkloadMetric = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 chars of letters, digits, _ . -'),
  namespace: z.string().min(1),
  metricName: z.string().min(1),
  dimensions: z.record(z.string().min(1), z.string()).default({}),
  stat: z.string().min(1).default('Average'),
  periodSeconds: z
    .number()
    .int()
    .positive()
    .refine((p) => p % 60 === 0 || [1, 5, 10, 30].includes(p), 'must be 1, 5, 10, 30 or a multiple of 60')
    .default(300),
  capacityPerUnit: z.number().positive(),
  /** Share of the contention score; weights over critical metrics are normalised. */
  weight: z.number().positive().max(1).default(1),
  critical: z.boolean().default(true),
  /** The demand quantile capacity is planned against. */
  quantile: Quantile.default(0.95),
  /**
   * Cap of the planning headroom above the median forecast, as a fraction of the median (0.2 =
   * at most 20 % above it); absent: plan at `quantile` uncapped. `shadowscale bench backtest
   * --frontier` shows what each cap costs and saves.
   */
  maxHeadroom: z.number().positive().optional(),
  /** With `maxHeadroom`: the cap never plans below this quantile (nor above `quantile`). */
  minQuantile: Quantile.default(0.8),
});

export const WorkloadCapacity = z
  .strictObject({
    minUnits: z.number().int().nonnegative(),
    maxUnits: z.number().int().positive(),
    /** Largest shadow pool allowed, in units; 0 disables shadow pools for this workload. */
    shadowMaxUnits: z.number().int().nonnegative(),
    targetUtilization: z.number().gt(0).max(1).default(0.7),
    provisioningLagSeconds: z.number().int().nonnegative().default(180),
    unitPricePerHour: z.number().nonnegative().default(0),
    shadowUnitPricePerHour: z.number().nonnegative().optional(),
  })
  .refine((c) => c.minUnits <= c.maxUnits, { message: 'minUnits must be <= maxUnits', path: ['minUnits'] });

export const Contention = z
  .strictObject({
    /** Score at which contention is predicted (0 = no deficit, 1 = demand twice the capacity). */
    threshold: z.number().positive().default(0.05),
    /** Score under which contention clears; lower than threshold (hysteresis). */
    clearThreshold: z.number().nonnegative().default(0.01),
    horizonSeconds: z
      .number()
      .int()
      .positive()
      .max(7 * 86_400)
      .default(3_600),
    /** Contention must be cleared this long before traffic returns home. */
    returnAfterClearSeconds: z.number().int().nonnegative().default(900),
  })
  .refine((c) => c.clearThreshold < c.threshold, {
    message: 'clearThreshold must be lower than threshold',
    path: ['clearThreshold'],
  });

export const GateThresholds = z.strictObject({
  max5xxRate: z.number().min(0).max(1).default(0.01),
  maxP99LatencyMs: z.number().positive().default(1_000),
  maxUnhealthyHosts: z.number().int().nonnegative().default(0),
  /** Consecutive "no data yet" answers tolerated before the gate fails. */
  noDataRetries: z.number().int().nonnegative().max(20).default(3),
  /** Failed checks tolerated within one step before compensation. */
  maxFailedChecks: z.number().int().nonnegative().max(10).default(0),
});

export const SmokeTest = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('lambda'), functionName: z.string().min(1) }),
  z.strictObject({ kind: z.literal('http'), url: z.url(), expectStatus: z.number().int().default(200) }),
]);

export const Steps = z
  .array(Percent.min(1))
  .min(1)
  .max(20)
  .refine((s) => s.every((v, i) => i === 0 || v > (s[i - 1] ?? 0)), 'must be strictly increasing')
  .refine((s) => s[s.length - 1] === 100, 'must end at 100');

export const Migration = z.strictObject({
  steps: Steps.default([10, 25, 50, 100]),
  bakeSeconds: z.number().int().nonnegative().max(3_600).default(60),
  healthyTimeoutSeconds: z.number().int().positive().max(3_600).default(600),
  gate: GateThresholds.default(GateThresholds.parse({})),
  /**
   * What a migration moves. `overflow` (default): the shadow pool is sized for the part of the
   * predicted peak the primary cannot serve at its maximum (the deficit), and receives that share
   * of the traffic; the primary keeps the rest. `whole`: the workload moves entirely onto a shadow
   * pool sized for the whole peak (blue/green onto separate capacity, e.g. off a contended
   * cluster).
   */
  move: z.enum(['overflow', 'whole']).default('overflow'),
  /** Share of what the shadow pool is sized for (the deficit, or the whole peak). */
  shadowShare: z.number().gt(0).max(1).default(1),
  /**
   * Extra units on top, as a fraction. Default 0: the planning path (the metric's quantile)
   * already carries the headroom for forecast error, and a second margin here is paid for twice.
   */
  bufferFraction: z.number().min(0).max(1).default(0),
  onRollback: z.enum(['scale-to-zero', 'delete']).default('scale-to-zero'),
  smokeTest: SmokeTest.optional(),
});

export const Workload = z.strictObject({
  workloadId: WorkloadId,
  description: z.string().max(500).optional(),
  compute: Compute,
  traffic: Traffic,
  regions: z
    .strictObject({ primary: Region, standby: Region.optional() })
    .refine((r) => r.standby !== r.primary, {
      message: 'standby must differ from primary',
      path: ['standby'],
    }),
  capacity: WorkloadCapacity,
  /** Higher moves first when several workloads contend; 0-100. */
  priority: z.number().int().min(0).max(100).default(50),
  /** Only stateless workloads may be moved onto a shadow pool without a drain plan. */
  stateless: z.boolean().default(true),
  metrics: z
    .array(WorkloadMetric)
    .min(1)
    .max(20)
    .refine((ms) => new Set(ms.map((m) => m.name)).size === ms.length, 'metric names must be unique'),
  contention: Contention.default(Contention.parse({})),
  migration: Migration.default(Migration.parse({})),
  tags: z.record(z.string(), z.string()).default({}),
});

export type Workload = z.infer<typeof Workload>;
/** What a user writes: defaults not yet applied. */
export type WorkloadInput = z.input<typeof Workload>;
export type WorkloadMetric = z.infer<typeof WorkloadMetric>;
export type Compute = z.infer<typeof Compute>;
export type Traffic = z.infer<typeof Traffic>;
export type GateThresholds = z.infer<typeof GateThresholds>;

/** A stored workload: the definition plus its version (optimistic concurrency) and profile. */
export const WorkloadProfile = z.strictObject({
  /** Learned behaviour: hour-of-week shape of demand, normalised to mean 1. */
  hourOfWeek: z.array(z.number()).length(168).optional(),
  /** Mean and p95 demand per metric over the profile window. */
  demand: z.record(z.string(), z.strictObject({ mean: z.number(), p95: z.number() })).default({}),
  updatedAt: z.number().int().nonnegative().optional(),
});
export type WorkloadProfile = z.infer<typeof WorkloadProfile>;

export const WorkloadRecord = z.strictObject({
  workload: Workload,
  profile: WorkloadProfile.default({ demand: {} }),
  version: z.number().int().positive(),
  createdAt: z.number().int().nonnegative(),
  updatedAt: z.number().int().nonnegative(),
});
export type WorkloadRecord = z.infer<typeof WorkloadRecord>;
