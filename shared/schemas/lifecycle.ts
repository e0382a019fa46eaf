import { z } from 'zod';
import { arn, Percent } from './common';

/**
 * Lifecycle rules of a workload: *when* something happens (a Shadowscale event, a schedule, any
 * EventBridge pattern) *and* the workload's state satisfies some conditions, *do* a list of
 * actions, in order. The `lifecycle` state machine runs them, once per (rule, event id).
 */

/** Shadowscale events a rule may name in `when.events`. */
export const LIFECYCLE_EVENT_TYPES = [
  'Contention Predicted',
  'Contention Cleared',
  'Anomaly Detected',
  'Anomaly Cleared',
  'Migration Succeeded',
  'Migration Rolled Back',
  'Failover Succeeded',
  'Failover Rolled Back',
] as const;
export type LifecycleEventType = (typeof LIFECYCLE_EVENT_TYPES)[number];

export const Schedule = z
  .string()
  .regex(
    /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^)]+\))$/,
    'must be an EventBridge schedule such as "rate(1 day)" or "cron(0 3 * * ? *)"',
  );

/**
 * One EventBridge content filter (the subset of the pattern language both EventBridge and
 * `matchesPattern` understand): exact values, prefix, suffix, anything-but, numeric ranges,
 * exists, equals-ignore-case.
 */
const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const NumericOp = z.enum(['<', '<=', '=', '>=', '>']);
const ContentFilter = z.union([
  Scalar,
  z.strictObject({ prefix: z.string().min(1) }),
  z.strictObject({ suffix: z.string().min(1) }),
  z.strictObject({ 'equals-ignore-case': z.string() }),
  z.strictObject({ exists: z.boolean() }),
  z.strictObject({
    'anything-but': z.union([Scalar, z.array(Scalar).min(1), z.strictObject({ prefix: z.string().min(1) })]),
  }),
  z.strictObject({
    numeric: z
      .array(z.union([NumericOp, z.number()]))
      .min(2)
      .max(4)
      .refine(
        (ops) => ops.every((v, i) => (i % 2 === 0 ? typeof v === 'string' : typeof v === 'number')),
        'must alternate operator and number, e.g. [">", 0, "<=", 5]',
      ),
  }),
]);
export type ContentFilter = z.infer<typeof ContentFilter>;

/** An EventBridge event pattern: every leaf is a non-empty array of filters. */
export type EventPattern = { [key: string]: EventPattern | ContentFilter[] };
const FilterList = z.array(ContentFilter).min(1).max(100);
/**
 * A leaf is a list of filters and anything else a nested pattern, decided by the value's shape
 * (not a union), so an error names the exact filter that is wrong.
 */
export const EventPattern: z.ZodType<EventPattern> = z.lazy(() =>
  z.record(z.string().min(1), z.unknown()).superRefine((pattern, ctx) => {
    if (Object.keys(pattern).length === 0) ctx.addIssue({ code: 'custom', message: 'must not be empty' });
    for (const [key, value] of Object.entries(pattern)) {
      const result = (Array.isArray(value) ? FilterList : EventPattern).safeParse(value);
      if (!result.success)
        for (const issue of result.error.issues)
          ctx.addIssue({ code: 'custom', path: [key, ...issue.path], message: issue.message });
    }
  }),
) as unknown as z.ZodType<EventPattern>;

export const LifecycleWhen = z
  .strictObject({
    /** Shadowscale events of this workload (its `workloadId` in the detail). */
    events: z.array(z.enum(LIFECYCLE_EVENT_TYPES)).min(1).optional(),
    /** An EventBridge schedule (UTC). */
    schedule: Schedule.optional(),
    /** Any EventBridge pattern. */
    pattern: EventPattern.optional(),
    /**
     * The bus a `pattern` rule listens on: `shadowscale` (our events, and what others put there) or
     * `default` (AWS service events: EC2, ECS, Health, CloudWatch alarms...).
     */
    bus: z.enum(['shadowscale', 'default']).default('shadowscale'),
  })
  .refine((w) => [w.events, w.schedule, w.pattern].filter((x) => x !== undefined).length === 1, {
    message: 'set exactly one of events, schedule or pattern',
    path: ['events'],
  })
  .refine((w) => w.bus === 'shadowscale' || w.pattern !== undefined, {
    message: 'only a pattern rule may listen on the default bus',
    path: ['bus'],
  });
export type LifecycleWhen = z.infer<typeof LifecycleWhen>;

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)');
const Range = (min: number, max: number) =>
  z
    .strictObject({
      min: z.number().min(min).max(max).optional(),
      max: z.number().min(min).max(max).optional(),
    })
    .refine((r) => r.min !== undefined || r.max !== undefined, 'set min, max or both')
    .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, {
      message: 'min must be <= max',
      path: ['min'],
    });
export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** Conditions on the workload's state when the trigger arrives; all must hold. */
export const LifecycleConditions = z.strictObject({
  /** The workload's latest contention score (0 = no deficit). */
  score: Range(0, 1_000).optional(),
  /** Whether the workload is in an anomaly now, optionally with its anomaly score's range. */
  anomaly: z
    .strictObject({
      active: z.boolean().optional(),
      score: Range(0, 1).optional(),
    })
    .optional(),
  /** Local time of the trigger in `timeZone` (IANA, default UTC); `from` > `to` spans midnight. */
  timeOfDay: z
    .strictObject({
      from: HHMM,
      to: HHMM,
      days: z.array(z.enum(DAYS)).min(1).optional(),
      timeZone: z
        .string()
        .refine((tz) => {
          try {
            new Intl.DateTimeFormat('en-US', { timeZone: tz });
            return true;
          } catch {
            return false;
          }
        }, 'must be an IANA time zone such as Europe/Paris')
        .default('UTC'),
    })
    .refine((t) => t.from !== t.to, { message: 'from and to must differ', path: ['to'] })
    .optional(),
  /** The share of traffic on the shadow pool now, in percent (read back from the router). */
  shadowWeight: Range(0, 100).optional(),
  /** The workload's priority now. */
  priority: Range(0, 100).optional(),
});
export type LifecycleConditions = z.infer<typeof LifecycleConditions>;

/**
 * Scale a pool down gracefully: lower its desired count by at most `stepUnits` at a time and let
 * each step drain (`drainSeconds`, at least the target group's deregistration delay) before the
 * next, until `toUnits`, clamped to the pool's limits. A pool carrying traffic share is never
 * taken below one unit.
 */
export const ScaleDownAction = z.strictObject({
  type: z.literal('scale-down'),
  pool: z.enum(['primary', 'shadow']).default('primary'),
  toUnits: z.number().int().nonnegative(),
  stepUnits: z.number().int().positive().max(1_000).optional(),
  drainSeconds: z.number().int().nonnegative().max(3_600).default(300),
});
/** Snapshot every EBS volume attached to the workload's ECS tasks or nodegroup instances. */
export const SnapshotAction = z.strictObject({
  type: z.literal('snapshot'),
  pool: z.enum(['primary', 'shadow']).default('primary'),
  /** Extra tags on each snapshot (Shadowscale adds its own workload, rule and event tags). */
  tags: z
    .record(
      z
        .string()
        .min(1)
        .max(128)
        .refine(
          (k) => !k.toLowerCase().startsWith('aws:') && !k.startsWith('shadowscale:'),
          'is a reserved tag key',
        ),
      z.string().max(256),
    )
    .default({}),
});
/** Start automated tests or diagnostics: a CodeBuild build or a Step Functions execution. */
export const RunTestsAction = z.strictObject({
  type: z.literal('run-tests'),
  target: z.discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('codebuild'),
      projectName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$/, 'must be a CodeBuild project name'),
    }),
    z.strictObject({ kind: z.literal('stepfunctions'), stateMachineArn: arn('states') }),
  ]),
});
/** Publish a readable message to an SNS topic. */
export const NotifyAction = z.strictObject({
  type: z.literal('notify'),
  topicArn: arn('sns'),
  /** Sentence put first in the message; default a description of the trigger. */
  message: z.string().min(1).max(1_000).optional(),
});
/** Change the workload's priority (which workload moves first when several contend). */
export const SetPriorityAction = z.strictObject({
  type: z.literal('set-priority'),
  priority: Percent,
});

export const LifecycleAction = z.discriminatedUnion('type', [
  ScaleDownAction,
  SnapshotAction,
  RunTestsAction,
  NotifyAction,
  SetPriorityAction,
]);
export type LifecycleAction = z.infer<typeof LifecycleAction>;
export type LifecycleActionType = LifecycleAction['type'];

export const LifecycleRule = z.strictObject({
  /** Unique per workload; names the EventBridge rule and the run records. */
  name: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/, 'must be 1-40 chars of a-z, 0-9 and -'),
  description: z.string().max(500).optional(),
  when: LifecycleWhen,
  if: LifecycleConditions.default({}),
  do: z.array(LifecycleAction).min(1).max(10),
});
export type LifecycleRule = z.infer<typeof LifecycleRule>;
/** What a user writes: defaults not yet applied. */
export type LifecycleRuleInput = z.input<typeof LifecycleRule>;

export const LifecycleRules = z
  .array(LifecycleRule)
  .max(20)
  .refine((rs) => new Set(rs.map((r) => r.name)).size === rs.length, 'rule names must be unique');

/** What became of one action of a run. */
export const ActionOutcome = z.strictObject({
  index: z.number().int().nonnegative(),
  type: z.enum(['scale-down', 'snapshot', 'run-tests', 'notify', 'set-priority']),
  status: z.enum(['succeeded', 'failed']),
  at: z.number().int().nonnegative(),
  /** What it did (units, snapshot ids, build id, message id...). */
  detail: z.record(z.string(), z.unknown()).default({}),
  error: z.strictObject({ name: z.string(), message: z.string() }).optional(),
});
export type ActionOutcome = z.infer<typeof ActionOutcome>;

/**
 * One (rule, event) run: created by a conditional write, so a duplicate delivery of the event
 * finds it and does nothing; each action's outcome is recorded once, so a rerun skips what is done.
 */
export const LifecycleRun = z.strictObject({
  runId: z.string().min(1).max(400),
  workloadId: z.string().min(1),
  rule: z.string().min(1),
  eventId: z.string().min(1),
  /** The execution that owns the run (a redrive of it resumes; another execution is a duplicate). */
  holder: z.string().min(1),
  status: z.enum(['running', 'skipped', 'succeeded', 'failed']),
  /** Why it was skipped (the condition that did not hold), or a summary when it ended. */
  reason: z.string().max(1_000).default(''),
  trigger: z.strictObject({
    detailType: z.string(),
    source: z.string(),
    at: z.number().int().nonnegative(),
    time: z.string(),
    detail: z.record(z.string(), z.unknown()),
  }),
  actions: z.array(LifecycleAction),
  outcomes: z.array(ActionOutcome).default([]),
  startedAt: z.number().int().nonnegative(),
  updatedAt: z.number().int().nonnegative(),
  version: z.number().int().positive().default(1),
});
export type LifecycleRun = z.infer<typeof LifecycleRun>;
