import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type Service,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { EKSClient } from '@aws-sdk/client-eks';
import {
  type Action,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { TaskFn } from '../../functions/migration/core';
import { localStateMachine, type ShadowPoolKind } from '../../functions/migration/local';
import { type Runtime, resetRuntime, setRuntime } from '../../functions/runtime';
import { resetComputeCache } from '../../functions/runtime/compute';
import { resetEventsCache } from '../../functions/runtime/events';
import { resetHealthCache } from '../../functions/runtime/health';
import { resetMetricsCache } from '../../functions/runtime/metrics';
import { resetRepositoriesCache } from '../../functions/runtime/repositories';
import { resetTrafficCache } from '../../functions/runtime/traffic';
import { CloudWatchTargetHealth } from '../../shared/aws/cloudwatch-health';
import { EcsComputePool } from '../../shared/aws/ecs-pool';
import { EksComputePool } from '../../shared/aws/eks-pool';
import { systemClock } from '../../shared/clock';
import { makeDynamoRepositories } from '../../shared/data/repositories';
import { createTables, TABLE_PREFIX_ENV, tableNamesFromPrefix } from '../../shared/data/tables';
import type { ComputePool } from '../../shared/ports/compute';
import type { Repositories } from '../../shared/ports/repositories';
import { Workload, type WorkloadInput } from '../../shared/schemas/workload';
import { workloadInput } from '../helpers/fixtures';
import { resetMoto, startMoto } from '../servers/moto';
import type { ServerProcess } from '../servers/process';

/**
 * The end-to-end tier: the product's AWS adapters (AWS SDK v3, configured only by the
 * environment) against a moto server, driven through the real ASL files in aws-local-stepfunctions
 * with the real task functions. Every assertion reads back from the (emulated) AWS APIs with SDK
 * calls of its own, never from what our code returned.
 *
 * Where moto differs from AWS, this harness plays AWS's part, and nothing in the product knows:
 * - GetMetricData with a percentile statistic (p99) makes moto answer 500: the gate's CloudWatch
 *   client gets a middleware that asks moto for `Maximum` instead (the harness seeds one latency
 *   datapoint per minute, so the two agree).
 * - ECS services report a running count only after an UpdateService, a deployment's never, and
 *   no task is ever registered with a target group: `settleService` updates the service to its
 *   own desired count and registers one IP target per task, as ECS's load-balancer integration
 *   would, and the compute pools' ECS client copies the service's running count into its PRIMARY
 *   deployment (the product adapters, over a client with that one middleware).
 * - Nothing publishes ALB metrics: `seedGateMetrics` puts the AWS/ApplicationELB datapoints the
 *   health gate reads.
 */
export const REGION = 'us-east-1';
export const TABLE_PREFIX = 'sse2e';
const MINUTE = 60_000;

export interface Moto {
  endpoint: string;
  repos: Repositories;
  ecs: ECSClient;
  elb: ElasticLoadBalancingV2Client;
  cloudwatch: CloudWatchClient;
  ec2: EC2Client;
  dynamo: DynamoDBClient;
}

/** One moto server per test file (its own port), reset before every test. */
export function useMoto(): () => Moto {
  let server: ServerProcess | undefined;
  let moto: Moto | undefined;
  const clients: { destroy(): void }[] = [];
  let adapters: Pick<Runtime, 'health' | 'compute'> | undefined;
  beforeAll(async () => {
    server = await startMoto();
    process.env.AWS_ENDPOINT_URL = server.endpoint;
    process.env.AWS_REGION = REGION;
    process.env[TABLE_PREFIX_ENV] = TABLE_PREFIX;
    const config = { endpoint: server.endpoint, region: REGION };
    const dynamo = new DynamoDBClient(config);
    moto = {
      endpoint: server.endpoint,
      repos: makeDynamoRepositories({
        client: dynamo,
        names: tableNamesFromPrefix(TABLE_PREFIX),
        clock: systemClock,
      }),
      ecs: new ECSClient(config),
      elb: new ElasticLoadBalancingV2Client(config),
      cloudwatch: new CloudWatchClient(config),
      ec2: new EC2Client(config),
      dynamo,
    };
    clients.push(moto.ecs, moto.elb, moto.cloudwatch, moto.ec2, moto.dynamo);
    // The gate's health source and the compute pools: the product adapters over clients that
    // work around moto's gaps (see above).
    adapters = {
      health: new CloudWatchTargetHealth(percentileAsMaximum(server.endpoint, clients), systemClock),
      compute: computeOverMoto(server.endpoint, clients),
    };
  }, 90_000);
  beforeEach(async () => {
    if (!moto) throw new Error('moto did not start');
    await resetMoto(moto.endpoint);
    await createTables(moto.dynamo, tableNamesFromPrefix(TABLE_PREFIX));
    if (!adapters) throw new Error('moto did not start');
    setRuntime(adapters);
  });
  afterEach(() => resetRuntime());
  afterAll(async () => {
    for (const client of clients) client.destroy();
    resetComputeCache();
    resetEventsCache();
    resetHealthCache();
    resetMetricsCache();
    resetRepositoriesCache();
    resetTrafficCache();
    await server?.stop();
    delete process.env.AWS_ENDPOINT_URL;
  }, 30_000);
  return () => {
    if (!moto) throw new Error('useMoto: only inside tests');
    return moto;
  };
}

/**
 * The product's ECS and EKS pools, over an ECS client whose DescribeServices answer carries the
 * service's running count into its PRIMARY deployment, as ECS reports it once a deployment's tasks
 * run (moto leaves a deployment's running count at 0 for ever).
 */
function computeOverMoto(endpoint: string, clients: { destroy(): void }[]): ComputePool {
  const ecs = new ECSClient({ endpoint, region: REGION });
  ecs.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const output = result.output as { services?: Service[] };
      for (const service of output.services ?? [])
        for (const deployment of service.deployments ?? [])
          if (deployment.status === 'PRIMARY') deployment.runningCount = service.runningCount ?? 0;
      return result;
    },
    { step: 'initialize', name: 'motoDeploymentRunningCount' },
  );
  const eks = new EKSClient({ endpoint, region: REGION });
  const scaling = new ApplicationAutoScalingClient({ endpoint, region: REGION });
  clients.push(ecs, eks, scaling);
  const ecsPool = new EcsComputePool(ecs, scaling);
  const eksPool = new EksComputePool(eks);
  const pool = (workload: Workload): ComputePool => (workload.compute.kind === 'ecs' ? ecsPool : eksPool);
  return {
    describe: (workload, role) => pool(workload).describe(workload, role),
    scale: (workload, role, desired) => pool(workload).scale(workload, role, desired),
    ensureShadow: (workload, spec) => pool(workload).ensureShadow(workload, spec),
    deleteShadow: (workload) => pool(workload).deleteShadow(workload),
    setFloor: (workload, role, floor) => pool(workload).setFloor(workload, role, floor),
  };
}

/** A CloudWatch client whose GetMetricData asks for Maximum where a query says p99 (moto gap). */
function percentileAsMaximum(endpoint: string, clients: { destroy(): void }[]): CloudWatchClient {
  const client = new CloudWatchClient({ endpoint, region: REGION });
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { MetricDataQueries?: { MetricStat?: { Stat?: string } }[] };
      for (const query of input.MetricDataQueries ?? [])
        if (query.MetricStat?.Stat && /^p\d/.test(query.MetricStat.Stat)) query.MetricStat.Stat = 'Maximum';
      return next(args);
    },
    { step: 'initialize', name: 'motoPercentileAsMaximum' },
  );
  clients.push(client);
  return client;
}

export interface EcsWorld {
  cluster: string;
  service: string;
  listenerArn: string;
  ruleArn?: string;
  primaryTargetGroupArn: string;
  shadowTargetGroupArn: string;
  loadBalancerDimension: string;
  subnets: string[];
}

/**
 * What a team has before adopting Shadowscale: a VPC, an ALB whose listener (or one listener
 * rule) forwards to a primary (100) and a shadow (0) target group, an ECS service of `units`
 * tasks on the primary group, tagged for Shadowscale.
 */
export async function ecsWorld(
  moto: Moto,
  options: { units?: number; rule?: boolean; stickiness?: boolean } = {},
): Promise<EcsWorld> {
  const units = options.units ?? 2;
  const vpc = (await moto.ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId ?? '';
  const subnets: string[] = [];
  for (const [i, zone] of ['a', 'b'].entries()) {
    const out = await moto.ec2.send(
      new CreateSubnetCommand({
        VpcId: vpc,
        CidrBlock: `10.0.${i + 1}.0/24`,
        AvailabilityZone: `${REGION}${zone}`,
      }),
    );
    subnets.push(out.Subnet?.SubnetId ?? '');
  }
  const lb = (await moto.elb.send(new CreateLoadBalancerCommand({ Name: 'prod-alb', Subnets: subnets })))
    .LoadBalancers?.[0];
  const tg = async (name: string) =>
    (
      await moto.elb.send(
        new CreateTargetGroupCommand({
          Name: name,
          Protocol: 'HTTP',
          Port: 80,
          VpcId: vpc,
          TargetType: 'ip',
        }),
      )
    ).TargetGroups?.[0]?.TargetGroupArn ?? '';
  const primaryTargetGroupArn = await tg('checkout-primary');
  const shadowTargetGroupArn = await tg('checkout-shadow');
  const forward: Action = {
    Type: 'forward',
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: primaryTargetGroupArn, Weight: 100 },
        { TargetGroupArn: shadowTargetGroupArn, Weight: 0 },
      ],
      ...(options.stickiness ? { TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 600 } } : {}),
    },
  };
  const listener = await moto.elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: lb?.LoadBalancerArn,
      Protocol: 'HTTP',
      Port: 80,
      DefaultActions: options.rule
        ? [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }]
        : [forward],
    }),
  );
  const listenerArn = listener.Listeners?.[0]?.ListenerArn ?? '';
  let ruleArn: string | undefined;
  if (options.rule) {
    const rule = await moto.elb.send(
      new CreateRuleCommand({
        ListenerArn: listenerArn,
        Priority: 10,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/checkout/*'] } }],
        Actions: [forward],
      }),
    );
    ruleArn = rule.Rules?.[0]?.RuleArn;
  }
  const securityGroup = (
    await moto.ec2.send(
      new CreateSecurityGroupCommand({ GroupName: 'checkout', Description: 'checkout', VpcId: vpc }),
    )
  ).GroupId;
  await moto.ecs.send(new CreateClusterCommand({ clusterName: 'prod' }));
  const td = await moto.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'checkout-api',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '1024',
      memory: '2048',
      containerDefinitions: [
        { name: 'app', image: 'public.ecr.aws/nginx/nginx:1.27', portMappings: [{ containerPort: 80 }] },
      ],
      tags: [
        { key: 'team', value: 'payments' },
        { key: 'aws:cloudformation:stack-name', value: 'checkout' },
      ],
    }),
  );
  await moto.ecs.send(
    new CreateServiceCommand({
      cluster: 'prod',
      serviceName: 'checkout-api',
      taskDefinition: td.taskDefinition?.taskDefinitionArn,
      desiredCount: units,
      launchType: 'FARGATE',
      loadBalancers: [{ targetGroupArn: primaryTargetGroupArn, containerName: 'app', containerPort: 80 }],
      networkConfiguration: {
        awsvpcConfiguration: { subnets, securityGroups: [securityGroup ?? ''], assignPublicIp: 'DISABLED' },
      },
      tags: [{ key: 'shadowscale:managed', value: 'true' }],
    }),
  );
  await settleService(moto, 'prod', 'checkout-api', primaryTargetGroupArn);
  const loadBalancerDimension = (lb?.LoadBalancerArn ?? '').split(':loadbalancer/')[1] ?? '';
  return {
    cluster: 'prod',
    service: 'checkout-api',
    listenerArn,
    ruleArn,
    primaryTargetGroupArn,
    shadowTargetGroupArn,
    loadBalancerDimension,
    subnets,
  };
}

/**
 * What ECS does and moto does not: tasks reach RUNNING and register with the service's target
 * group. Updating the service to its own desired count makes moto report them running.
 */
export async function settleService(
  moto: Moto,
  cluster: string,
  service: string,
  targetGroupArn: string,
): Promise<number> {
  const found = (await moto.ecs.send(new DescribeServicesCommand({ cluster, services: [service] })))
    .services?.[0];
  const desired = found?.desiredCount ?? 0;
  await moto.ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount: desired }));
  if (desired > 0) {
    const base = targetGroupArn.endsWith('shadow') || /shadow/.test(targetGroupArn) ? 200 : 100;
    await moto.elb.send(
      new RegisterTargetsCommand({
        TargetGroupArn: targetGroupArn,
        Targets: Array.from({ length: desired }, (_, i) => ({ Id: `10.0.1.${base + i}`, Port: 80 })),
      }),
    );
  }
  return desired;
}

/** The workload definition of `world`, stored through the product's repositories. */
export async function registerEcsWorkload(
  moto: Moto,
  world: EcsWorld,
  change: (input: WorkloadInput) => WorkloadInput = (input) => input,
): Promise<Workload> {
  const base = workloadInput();
  const input = change({
    ...base,
    compute: {
      kind: 'ecs',
      cluster: world.cluster,
      service: world.service,
      shadowTaskCpu: 512,
      shadowTaskMemory: 1024,
    },
    traffic: {
      listenerArn: world.listenerArn,
      ...(world.ruleArn ? { ruleArn: world.ruleArn } : {}),
      primaryTargetGroupArn: world.primaryTargetGroupArn,
      shadowTargetGroupArn: world.shadowTargetGroupArn,
      loadBalancerDimension: world.loadBalancerDimension,
    },
    migration: { ...base.migration, steps: [10, 25, 50, 100], bakeSeconds: 60 },
  });
  const workload = Workload.parse(input);
  await moto.repos.workloads.create(workload);
  return workload;
}

/** Listener (or rule) weights as a person reads them back: DescribeListeners / DescribeRules. */
export async function readWeights(
  moto: Moto,
  world: EcsWorld,
): Promise<{ primary: number; shadow: number; stickiness: boolean }> {
  const actions = world.ruleArn
    ? (await moto.elb.send(new DescribeRulesCommand({ RuleArns: [world.ruleArn] }))).Rules?.[0]?.Actions
    : (await moto.elb.send(new DescribeListenersCommand({ ListenerArns: [world.listenerArn] })))
        .Listeners?.[0]?.DefaultActions;
  const forward = actions?.find((a) => a.Type === 'forward')?.ForwardConfig;
  const weight = (arn: string) => forward?.TargetGroups?.find((t) => t.TargetGroupArn === arn)?.Weight ?? 0;
  return {
    primary: weight(world.primaryTargetGroupArn),
    shadow: weight(world.shadowTargetGroupArn),
    stickiness: forward?.TargetGroupStickinessConfig?.Enabled === true,
  };
}

/**
 * The AWS/ApplicationELB datapoints ALB would publish for one target group over the last few
 * minutes and the next one (so a gate window that starts after a minute boundary still has data).
 */
export async function seedGateMetrics(
  moto: Moto,
  world: EcsWorld,
  targetGroupArn: string,
  health: { p99Seconds: number; errors?: number; requests?: number; healthy?: number },
): Promise<void> {
  const tg = targetGroupArn.slice(targetGroupArn.indexOf('targetgroup/'));
  const dimensions = [
    { Name: 'TargetGroup', Value: tg },
    { Name: 'LoadBalancer', Value: world.loadBalancerDimension },
  ];
  const now = Math.floor(Date.now() / MINUTE) * MINUTE;
  const data = [];
  for (let m = -5; m <= 1; m++) {
    const Timestamp = new Date(now + m * MINUTE + 30_000);
    data.push(
      { MetricName: 'RequestCount', Dimensions: dimensions, Timestamp, Value: health.requests ?? 1_000 },
      {
        MetricName: 'HTTPCode_Target_5XX_Count',
        Dimensions: dimensions,
        Timestamp,
        Value: health.errors ?? 0,
      },
      { MetricName: 'TargetResponseTime', Dimensions: dimensions, Timestamp, Value: health.p99Seconds },
      { MetricName: 'HealthyHostCount', Dimensions: dimensions, Timestamp, Value: health.healthy ?? 2 },
      { MetricName: 'UnHealthyHostCount', Dimensions: dimensions, Timestamp, Value: 0 },
    );
  }
  await moto.cloudwatch.send(new PutMetricDataCommand({ Namespace: 'AWS/ApplicationELB', MetricData: data }));
}

/**
 * A daily wave of 5-minute points for each of the workload's metrics over [from, to) (CPU around
 * 40, request rates around 20,000, ±30 %), put 20 points a call: moto answered a 500-point
 * PutMetricData with an HTML error page (a harness limit, not the product's).
 */
export async function seedDailyWave(
  cloudwatch: CloudWatchClient,
  metrics: readonly {
    name: string;
    namespace: string;
    metricName: string;
    dimensions: Readonly<Record<string, string>>;
  }[],
  from: number,
  to: number,
  stepMs: number,
): Promise<void> {
  for (const metric of metrics) {
    const base = metric.name === 'cpu' ? 40 : 20_000;
    const points = [];
    for (let t = from; t < to; t += stepMs)
      points.push({ t, v: base * (1 + 0.3 * Math.sin(((t % 86_400_000) / 86_400_000) * 2 * Math.PI)) });
    for (let i = 0; i < points.length; i += 20) {
      await cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: metric.namespace,
          MetricData: points.slice(i, i + 20).map((p) => ({
            MetricName: metric.metricName,
            Dimensions: Object.entries(metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
            Timestamp: new Date(p.t),
            Value: p.v,
          })),
        }),
      );
    }
  }
}

export interface E2eRun {
  status: 'succeeded' | 'failed';
  error?: string;
  cause?: string;
  states: string[];
}

/**
 * One execution of the real ASL file with the real task functions (their ports: the AWS adapters
 * from the environment, so moto). Waits take no time; `afterTask` runs after each task (the
 * harness playing AWS's part, or reading back), `crashAfter` aborts the execution there (a
 * `kill -9`: no Catch, no compensation).
 */
export async function runMachine(
  kind: ShadowPoolKind,
  input: Record<string, unknown>,
  options: {
    name: string;
    afterTask?: (state: string, output: unknown) => Promise<void>;
    crashAfter?: (state: string, output: unknown) => boolean;
  },
): Promise<E2eRun> {
  const { definition, handlers } = localStateMachine(kind);
  const waits: Record<string, number> = {};
  const retries: Record<string, number> = {};
  for (const [name, state] of Object.entries(
    definition.States as Record<string, { Type: string; Retry?: unknown }>,
  )) {
    if (state.Type === 'Wait') waits[name] = 0;
    if (state.Retry) retries[name] = 0;
  }
  let abort = () => {};
  const wrapped: Record<string, TaskFn> = {};
  for (const [state, task] of Object.entries(handlers)) {
    wrapped[state] = async (taskInput: unknown) => {
      const output = await task(taskInput as Parameters<typeof task>[0]);
      await options.afterTask?.(state, output);
      if (options.crashAfter?.(state, output)) abort();
      return output;
    };
  }
  const machine = new StateMachine(definition as unknown as StateMachineDefinition, {
    validationOptions: { checkArn: false },
  });
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: wrapped as never,
      waitTimeOverrides: waits,
      retryIntervalOverrides: retries,
    },
    context: { Execution: { Name: options.name } },
  });
  abort = () => execution.abort();
  const states: string[] = [];
  const logs = (async () => {
    for await (const event of execution.eventLogs)
      if (event.type === 'StateEntered') states.push(event.state.name);
  })();
  try {
    await execution.result;
    await logs;
    return { status: 'succeeded', states };
  } catch (error) {
    await logs.catch(() => undefined);
    const e = error as {
      name?: string;
      message?: string;
      cause?: { Error?: string; Cause?: string; name?: string; message?: string };
    };
    return {
      status: 'failed',
      error: e.cause?.Error ?? e.cause?.name ?? e.name ?? 'Error',
      cause: String(e.cause?.Cause ?? e.cause?.message ?? e.message),
      states,
    };
  }
}
