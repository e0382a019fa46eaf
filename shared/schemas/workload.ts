import { z } from 'zod';
import { FeedbackSettings } from '../profile/feedback';
import { Correlations, MetricProfile } from '../profile/profile';
import { arn, Percent, Quantile, Region, WorkloadId } from './common';
import { LifecycleRules } from './lifecycle';

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

/** A Kubernetes object name (RFC 1123 subdomain): lower-case letters, digits, `-` and `.`. */
const KubeName = z
  .string()
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'must be a Kubernetes object name: lower-case letters, digits, - and ., starting and ending alphanumeric',
  );
/** A namespace or container name (RFC 1123 label): at most 63 lower-case letters, digits and `-`. */
const KubeLabel = z
  .string()
  .max(63)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    'must be an RFC 1123 label: at most 63 lower-case letters, digits and -, starting and ending alphanumeric',
  );

/**
 * The Kubernetes objects deploy-time branching drives on an EKS workload: the primary Deployment
 * (rolled onto a new image on merge) and the shadow copies it creates beside it (a Deployment on
 * the shadow nodegroup, a Service, and a `TargetGroupBinding` of the AWS Load Balancer Controller
 * registering the shadow pods in the shadow target group).
 */
export const KubernetesWorkload = z.strictObject({
  namespace: KubeLabel.default('default'),
  /** The primary Deployment. */
  deployment: KubeName,
  /** The container whose image a version replaces; default the Deployment's first container. */
  container: KubeLabel.optional(),
  /** Name of the shadow Deployment, Service and TargetGroupBinding; default `<deployment>-shadow`. */
  shadowName: KubeName.optional(),
  /** Port the shadow Service exposes (and the target group reaches); default the container's first port. */
  containerPort: z.number().int().min(1).max(65535).optional(),
  /** Pod replicas per shadow node: the shadow Deployment runs units x this. */
  replicasPerNode: z.number().int().min(1).max(250).default(1),
  /** The shadow target group's target type (`ip`: pod IPs; `instance`: node ports). */
  targetType: z.enum(['ip', 'instance']).default('ip'),
});
export type KubernetesWorkload = z.infer<typeof KubernetesWorkload>;

export const EksCompute = z.strictObject({
  kind: z.literal('eks'),
  cluster: z.string().min(1),
  nodegroup: z.string().min(1),
  /** Name of the shadow nodegroup; default `<nodegroup>-shadow`. */
  shadowNodegroup: z.string().min(1).optional(),
  /** Instance types for the shadow nodegroup; default the primary's. */
  shadowInstanceTypes: z.array(z.string().min(1)).min(1).optional(),
  /** The workload's Kubernetes objects; needed by deploy-time branching, not by migrations. */
  kubernetes: KubernetesWorkload.optional(),
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
  /**
   * The prediction feedback loop (shared/profile/feedback.ts): learning rate of the running
   * accuracy and when it forces an early refit; absent: the defaults.
   */
  feedback: FeedbackSettings.optional(),
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

/**
 * One region's answer in the weighted record set: a plain value (an IP for A/AAAA, a hostname for
 * CNAME) or an alias to the region's load balancer; optionally a Route 53 health check. `health`
 * names the region's target group and ALB dimension, which the failover gates read.
 */
export const RegionEndpoint = z
  .strictObject({
    /** The record's SetIdentifier; default the region code. */
    setIdentifier: z.string().min(1).max(128).optional(),
    value: z.string().min(1).max(4_000).optional(),
    alias: z
      .strictObject({
        hostedZoneId: z.string().regex(/^[A-Z0-9]{1,32}$/, 'must be a hosted zone id such as Z35SXDOTRQ7X7K'),
        dnsName: z.string().min(1).max(255),
        evaluateTargetHealth: z.boolean().default(true),
      })
      .optional(),
    healthCheckId: z
      .string()
      .regex(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
        'must be a Route 53 health check id',
      )
      .optional(),
    targetGroupArn: arn('elasticloadbalancing').optional(),
    loadBalancerDimension: z.string().min(1).optional(),
  })
  .refine((e) => (e.value === undefined) !== (e.alias === undefined), {
    message: 'set exactly one of value or alias',
    path: ['value'],
  });

/** The weighted Route 53 record set (same name and type, one record per region) that failover moves. */
export const RegionDns = z.strictObject({
  hostedZoneId: z
    .string()
    .regex(/^[A-Z0-9]{1,32}$/, 'must be a hosted zone id such as Z0123456789ABCDEFGHIJ'),
  recordName: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[A-Za-z0-9*_.-]+\.?$/, 'must be a DNS name such as api.example.com'),
  recordType: z.enum(['A', 'AAAA', 'CNAME']).default('A'),
  /** Record TTL (ignored by Route 53 for alias records, whose target's TTL applies); failover waits at least this long between steps. */
  ttlSeconds: z.number().int().min(0).max(86_400).default(60),
  /**
   * TTL the records carry while a failover or failback runs: lowered when the run starts (while
   * the standby warms up, resolvers pick it up) and restored to `ttlSeconds` when it ends, rolls
   * back or is rerun to its end, so the DNS steps take effect this long after each change. At or
   * above `ttlSeconds`: never lowered. Alias records keep their target's TTL.
   */
  fastTtlSeconds: z.number().int().min(0).max(86_400).default(10),
  endpoints: z.record(Region, RegionEndpoint),
});

/**
 * Regional failover: where DNS points, how the standby region is held while calm and raised
 * ahead of risk, and the gates of the DNS steps.
 */
export const Failover = z.strictObject({
  dns: RegionDns,
  standby: z
    .strictObject({
      /** The standby's ECS service / EKS nodegroup in the standby region; default the primary's names. */
      cluster: z.string().min(1).optional(),
      service: z.string().min(1).optional(),
      nodegroup: z.string().min(1).optional(),
      /** Units held while calm (a warm footprint that answers health checks). */
      calmUnits: z.number().int().nonnegative().default(1),
      /** Share of the forecast peak (in units) the standby is raised to ahead of risk. */
      riskShare: z.number().gt(0).max(1).default(1),
      /** Largest standby, in units; default the primary's maxUnits. */
      maxUnits: z.number().int().positive().optional(),
    })
    .default({ calmUnits: 1, riskShare: 1 }),
  /** Share of traffic on the standby after each step, strictly increasing, ending at 100. */
  steps: Steps.default([25, 50, 100]),
  /** Extra wait after each step on top of the record TTL. */
  bakeSeconds: z.number().int().nonnegative().max(3_600).default(30),
  healthyTimeoutSeconds: z.number().int().positive().max(3_600).default(600),
  gate: GateThresholds.default(GateThresholds.parse({})),
  detection: z
    .strictObject({
      /** Consecutive bad observations before a region is degraded. */
      badObservations: z.number().int().positive().max(60).default(3),
      /** Consecutive good observations before a degraded region is healthy again. */
      goodObservations: z.number().int().positive().max(60).default(5),
      max5xxRate: z.number().min(0).max(1).default(0.05),
      maxResponseTimeMs: z.number().positive().default(2_000),
      minHealthyHosts: z.number().int().nonnegative().default(1),
      /**
       * Seconds between the detector's observations of a region (each reads the last minute of its
       * ALB metrics): 10 s x 3 bad observations matches Route 53's fastest health-check failover.
       */
      sampleSeconds: z.number().int().min(5).max(60).default(10),
    })
    .default({
      badObservations: 3,
      goodObservations: 5,
      max5xxRate: 0.05,
      maxResponseTimeMs: 2_000,
      minHealthyHosts: 1,
      sampleSeconds: 10,
    }),
  /** The home region must be healthy and calm this long before traffic fails back. */
  failbackHoldSeconds: z
    .number()
    .int()
    .nonnegative()
    .max(7 * 86_400)
    .default(1_800),
});

/** Who runs a deployment's integration tests: it receives a task token and answers pass or fail. */
export const TestRunner = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('codebuild'), projectName: z.string().min(1) }),
  z.strictObject({ kind: z.literal('lambda'), functionName: z.string().min(1) }),
  /** Any CI: the callback URL receives {taskToken, ...} by POST and later calls SendTaskSuccess/Failure. */
  z.strictObject({ kind: z.literal('http'), url: z.url() }),
]);
export type TestRunner = z.infer<typeof TestRunner>;

/**
 * How a pipeline stage deploys this workload (the `pipeline-branch` state machine). The deployment
 * window the stage forecast scores is `deploySeconds + bakeSeconds` from the decision.
 */
export const Deployment = z.strictObject({
  /** How long a deployment of this workload usually takes (until the new version is stable). */
  deploySeconds: z.number().int().positive().max(86_400).default(600),
  /** How long a new version bakes under real traffic before the stage is done. */
  bakeSeconds: z.number().int().nonnegative().max(86_400).default(900),
  testRunner: TestRunner.optional(),
  /** The integration test gate fails (and the branch is discarded) after this long without an answer. */
  testTimeoutSeconds: z
    .number()
    .int()
    .positive()
    .max(7 * 86_400)
    .default(3_600),
  /** The test runner must call SendTaskHeartbeat at least this often while tests run. */
  testHeartbeatSeconds: z.number().int().positive().max(86_400).default(300),
  /** Size of the shadow environment a branch deploys to; default: the planning core's shadow sizing. */
  shadowUnits: z.number().int().positive().optional(),
  /** Seconds a rolling update of the primary may take to become stable. */
  stableTimeoutSeconds: z.number().int().positive().max(86_400).default(1_800),
});
export type Deployment = z.infer<typeof Deployment>;

/**
 * What the workload's owner trades: capacity paid for against minutes short of it. The planning
 * learner (shared/planning/learner.ts) picks each metric's planning settings to minimise
 * unit-hours + the price of every minute short, from what actually happened.
 */
export const WorkloadPolicy = z.strictObject({
  /** Learn each metric's planning quantile and headroom cap; false: use them as written. */
  learn: z.boolean().default(true),
  /**
   * A minute with demand above the ready capacity at the target utilisation costs as much as
   * running the primary at its maximum for this many minutes (used unless shortMinuteUnitHours).
   */
  shortMinutes: z.number().nonnegative().default(1),
  /** A minute with demand above 100 % of the ready capacity costs this many more (as above). */
  overloadMinutes: z.number().nonnegative().default(10),
  /** Absolute price of a minute short, in unit-hours; overrides shortMinutes. */
  shortMinuteUnitHours: z.number().nonnegative().optional(),
  /** Absolute price of an overloaded minute, in unit-hours; overrides overloadMinutes. */
  overloadMinuteUnitHours: z.number().nonnegative().optional(),
  /** Evidence loses half its weight in this many hours, so the learner follows a changing workload. */
  halfLifeHours: z
    .number()
    .positive()
    .max(24 * 90)
    .default(168),
});
export type WorkloadPolicy = z.infer<typeof WorkloadPolicy>;

export const Workload = z
  .strictObject({
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
    /** Deploy-time branching; absent: defaults (no test runner: the test gate is skipped). */
    deployment: Deployment.optional(),
    tags: z.record(z.string(), z.string()).default({}),
    failover: Failover.optional(),
    /** Lifecycle rules: when an event (or schedule) arrives and the state allows, run actions. */
    lifecycle: LifecycleRules.optional(),
    policy: WorkloadPolicy.default(WorkloadPolicy.parse({})),
  })
  .superRefine((w, ctx) => {
    (w.lifecycle ?? []).forEach((rule, r) => {
      rule.do.forEach((action, a) => {
        if (action.type !== 'scale-down') return;
        const [low, high] =
          action.pool === 'primary'
            ? [w.capacity.minUnits, w.capacity.maxUnits]
            : [0, w.capacity.shadowMaxUnits];
        if (action.toUnits < low || action.toUnits > high)
          ctx.addIssue({
            code: 'custom',
            path: ['lifecycle', r, 'do', a, 'toUnits'],
            message: `must be within the ${action.pool} pool's limits ${low}..${high}`,
          });
      });
    });
    if (!w.failover) return;
    const { primary, standby } = w.regions;
    if (!standby) {
      ctx.addIssue({
        code: 'custom',
        path: ['regions', 'standby'],
        message: 'failover needs a standby region',
      });
      return;
    }
    for (const region of [primary, standby]) {
      if (!w.failover.dns.endpoints[region]) {
        ctx.addIssue({
          code: 'custom',
          path: ['failover', 'dns', 'endpoints', region],
          message: `needs an endpoint for region ${region}`,
        });
      }
    }
  });

export type Workload = z.infer<typeof Workload>;
export type Failover = z.infer<typeof Failover>;
export type RegionDns = z.infer<typeof RegionDns>;
export type RegionEndpoint = z.infer<typeof RegionEndpoint>;
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
  /** Per metric: fingerprint, forecast accuracy, model, cold start (written by the forecaster). */
  metrics: z.record(z.string(), MetricProfile).optional(),
  /** Running correlation of each pair of the workload's metrics. */
  correlation: Correlations.optional(),
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
