import { z } from 'zod';
import { Region } from '../shared/schemas/common';
import { parseOrThrow } from '../shared/validation';

/**
 * The CDK app's configuration, read from `cdk.json` context (or `-c key=value` on the command
 * line) under the `shadowscale:` prefix. Command-line values arrive as strings, so JSON-looking
 * strings (`true`, `30`, `["a"]`, `{...}`) are parsed before validation.
 */
export const CONTEXT_PREFIX = 'shadowscale:';

/** CloudWatch Logs accepts only these retention periods (days). */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const Schedule = z
  .string()
  .regex(
    /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^)]+\))$/,
    'must be an EventBridge schedule such as "rate(5 minutes)" or "cron(0/5 * * * ? *)"',
  );

const ArnList = z
  .array(z.string().regex(/^arn:aws[a-z-]*:/, 'must be an ARN (wildcards allowed)'))
  .default([]);
const NameList = z.array(z.string().regex(/^[A-Za-z0-9_*-]{1,255}$/, 'must be a resource name')).default([]);

/**
 * Resources the operator registers for Shadowscale to act on. An empty list means "scope by the
 * tag `shadowscale:managed=true` instead" (see infra/constructs/permissions.ts for each action).
 */
export const ManagedResources = z
  .strictObject({
    /** ALB listener ARNs (or ARN patterns) whose forward weights Shadowscale may change. */
    listenerArns: ArnList,
    /** ECS cluster names whose services Shadowscale may scale and copy. */
    ecsClusters: NameList,
    /** EKS cluster names whose managed nodegroups Shadowscale may scale and copy. */
    eksClusters: NameList,
    /**
     * IAM roles Shadowscale may pass to ECS tasks / EKS nodes it creates: the primaries' task
     * roles, task execution roles and EKS node roles (`shadowscale validate --check-aws` lists
     * any that is missing).
     */
    passRoleArns: ArnList,
    /**
     * EC2 launch template ids (`lt-...`) of EKS primaries that use one: a shadow nodegroup is
     * created from the same template. Empty: any launch template tagged shadowscale:managed=true.
     */
    launchTemplateIds: z
      .array(z.string().regex(/^lt-[0-9a-f]{8,17}$/, 'must be a launch template id (lt-...)'))
      .default([]),
    /** Route 53 hosted zone ids whose weighted records the region failover may change. */
    hostedZoneIds: z.array(z.string().regex(/^Z[A-Z0-9]{1,32}$/, 'must be a hosted zone id')).default([]),
    /**
     * CodeBuild projects that run workloads' integration tests for deploy-time branching
     * (`deployment.testRunner`). Empty: any project tagged shadowscale:managed=true.
     */
    testProjects: NameList.optional(),
    /** Lambda functions that run integration tests. Empty: any function tagged shadowscale:managed=true. */
    testFunctions: NameList.optional(),
    /**
     * CodeBuild projects the build broker may start on the size it allocates, and read the builds
     * of (the BuildStarter and BuildPipelineAction functions). Empty: neither is deployed (no tag
     * fallback: starting builds spends money).
     */
    buildProjects: NameList.optional(),
  })
  .default({
    listenerArns: [],
    ecsClusters: [],
    eksClusters: [],
    passRoleArns: [],
    launchTemplateIds: [],
    hostedZoneIds: [],
  });

export const ShadowscaleConfig = z
  .strictObject({
    primaryRegion: Region,
    standbyRegion: Region.optional(),
    /** Account to deploy into; default the CLI's current account (CDK_DEFAULT_ACCOUNT). */
    account: z
      .string()
      .regex(/^\d{12}$/, 'must be a 12-digit account id')
      .optional(),
    forecastSchedule: Schedule.default('rate(5 minutes)'),
    /** Physical table names are `<tablePrefix>-<name>`, identical in both regions (global tables). */
    tablePrefix: z
      .string()
      .regex(/^[a-zA-Z0-9_.-]{1,200}$/, 'must be 1-200 chars of letters, digits, _ . -')
      .default('shadowscale'),
    /** `retain` keeps tables (and their data) when the stack is deleted; `destroy` is for sandboxes. */
    tableRemovalPolicy: z.enum(['retain', 'destroy']).default('retain'),
    tableDeletionProtection: z.boolean().default(true),
    eventBusName: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,256}$/, 'must be an event bus name')
      .default('shadowscale'),
    logRetentionDays: z
      .number()
      .int()
      .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
        message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .default(30),
    /** E-mail subscribed to the alarm topic (confirm the subscription mail after deploy). */
    alarmEmail: z.email().optional(),
    /** Deploy the demo workload stack (VPC, ALB, two target groups, ECS Fargate service). */
    demo: z.boolean().default(false),
    managed: ManagedResources,
    /**
     * Workload definition files (JSON, relative to the repository root) whose lifecycle rules are
     * deployed: one EventBridge rule each, and grants on the topics, projects and state machines
     * their actions name.
     */
    workloads: z.array(z.string().min(1)).default([]),
  })
  .refine((c) => c.standbyRegion === undefined || c.standbyRegion !== c.primaryRegion, {
    message: 'standbyRegion must differ from primaryRegion',
    path: ['standbyRegion'],
  });
export type ShadowscaleConfig = z.infer<typeof ShadowscaleConfig>;
export type ManagedResources = z.infer<typeof ManagedResources>;

const KEYS = [
  'primaryRegion',
  'standbyRegion',
  'account',
  'forecastSchedule',
  'tablePrefix',
  'tableRemovalPolicy',
  'tableDeletionProtection',
  'eventBusName',
  'logRetentionDays',
  'alarmEmail',
  'demo',
  'managed',
  'workloads',
] as const;

const STRING_KEYS: ReadonlySet<string> = new Set(['account', 'tablePrefix', 'eventBusName', 'alarmEmail']);

function fromCommandLine(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (/^(true|false|null|-?\d+(\.\d+)?)$/.test(text) || text.startsWith('[') || text.startsWith('{')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return value;
    }
  }
  return value;
}

/**
 * Read and validate the configuration. `tryGetContext` is `app.node.tryGetContext`. Unknown
 * `shadowscale:*` keys are refused so that a typo does not silently fall back to a default.
 * Throws `ValidationError` naming the context key and the value.
 */
export function readConfig(
  tryGetContext: (key: string) => unknown,
  allContextKeys: readonly string[] = [],
): ShadowscaleConfig {
  const raw: Record<string, unknown> = {};
  for (const key of KEYS) {
    const given = tryGetContext(`${CONTEXT_PREFIX}${key}`);
    // `-c shadowscale:account=012345678901` must stay a string (a number would lose the leading 0).
    const value = STRING_KEYS.has(key) ? given : fromCommandLine(given);
    if (value !== undefined && value !== null && value !== '') raw[key] = value;
  }
  for (const key of allContextKeys) {
    if (!key.startsWith(CONTEXT_PREFIX)) continue;
    const name = key.slice(CONTEXT_PREFIX.length);
    if (!(KEYS as readonly string[]).includes(name)) raw[name] = tryGetContext(key);
  }
  return parseOrThrow(ShadowscaleConfig, raw, `cdk context (${CONTEXT_PREFIX}*)`);
}
