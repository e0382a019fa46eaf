import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { mockClient } from 'aws-sdk-client-mock';
import type { TaskFn } from '../../../functions/migration/core';
import { localPipelineStateMachine, localTestGate } from '../../../functions/pipeline/local';
import { resetRuntime, setRuntime } from '../../../functions/runtime';
import { EksBranchPool } from '../../../shared/aws/eks-branch';
import { KubernetesHttpApi } from '../../../shared/aws/kubernetes';
import { ManualClock } from '../../../shared/clock';
import { PlanRejectedError } from '../../../shared/errors';
import { deploymentOperationId } from '../../../shared/pipeline/input';
import type { Prediction } from '../../../shared/schemas/series';
import { Workload, type WorkloadInput } from '../../../shared/schemas/workload';
import { simPorts } from '../../../shared/sim/adapters';
import {
  AslRunner as CoSimulation,
  type ExecutionLogEvent,
  type ExecutionOutcome,
  type TaskHandler,
} from '../../../shared/sim/asl-runner';
import { SimFleet } from '../../../shared/sim/fleet';
import { MemoryEventPublisher } from '../../../shared/sim/memory-events';
import { type MemoryRepositories, makeMemoryRepositories } from '../../../shared/sim/memory-repositories';
import { SimTestRunner } from '../../../shared/sim/test-runner';
import { workloadInput } from '../../helpers/fixtures';
import { type KubeApiDouble, startKubeApiDouble } from '../../helpers/kube-api-double';

/**
 * pipeline-branch.asl.json for an EKS workload, run by aws-local-stepfunctions with the real task
 * functions: the shadow environment is `EksBranchPool` — the nodegroups of the simulated fleet
 * (lag, health, traffic) and the real Kubernetes adapter (HTTPS, EKS bearer token) against a
 * TEST DOUBLE of the Kubernetes API server (test/helpers/kube-api-double.ts; DescribeCluster is
 * mocked to point at it). The test gate is `localTestGate` over a simulated runner, as in
 * pipeline-branch.test.ts.
 */
const T0 = Date.UTC(2026, 10, 23, 9, 0);
const MINUTE = 60_000;
const ID = 'checkout-api';
const NS = 'shop';
const IMAGE41 = '123456789012.dkr.ecr.us-east-1.amazonaws.com/checkout-api:41';
const IMAGE42 = '123456789012.dkr.ecr.us-east-1.amazonaws.com/checkout-api:42';
const INPUT = { workloadId: ID, version: IMAGE42, stage: 'prod' };
const OP = deploymentOperationId(INPUT);
const CAP = 84_000;
const eksMock = mockClient(EKSClient);

let api: KubeApiDouble;
beforeAll(async () => {
  api = await startKubeApiDouble();
});
afterAll(async () => {
  await api.close();
});

interface World {
  clock: ManualClock;
  fleet: SimFleet;
  repos: MemoryRepositories;
  tests: SimTestRunner;
  workload: Workload;
  cosim: CoSimulation;
}

function primaryDeployment(image: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'checkout-api', generation: 1 },
    spec: {
      replicas: 12,
      selector: { matchLabels: { app: 'checkout' } },
      template: {
        metadata: { labels: { app: 'checkout' } },
        spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 8080 }] }] },
      },
    },
    status: {
      observedGeneration: 1,
      replicas: 12,
      updatedReplicas: 12,
      readyReplicas: 12,
      availableReplicas: 12,
    },
  };
}

function world(
  kubernetes: Record<string, unknown> | null = {
    namespace: NS,
    deployment: 'checkout-api',
    container: 'app',
    replicasPerNode: 2,
  },
): World {
  const clock = new ManualClock(T0);
  const input = workloadInput();
  input.compute = {
    kind: 'eks',
    cluster: 'prod',
    nodegroup: 'checkout-nodes',
    ...(kubernetes ? { kubernetes } : {}),
  } as WorkloadInput['compute'];
  input.migration = { ...input.migration, bakeSeconds: 60, healthyTimeoutSeconds: 600 };
  input.deployment = {
    deploySeconds: 600,
    bakeSeconds: 900,
    testRunner: { kind: 'codebuild', projectName: 'checkout-integration-tests' },
  };
  const workload = Workload.parse(input);
  const fleet = new SimFleet({
    clock,
    workloads: [
      {
        workloadId: ID,
        trace: { name: 'flat', startMs: T0, intervalMs: MINUTE, values: new Float64Array(24 * 60).fill(800) },
        unitCapacity: 100,
        lagMs: 3 * MINUTE,
        metricDelayMs: MINUTE,
        primary: { maxUnits: 20, initialUnits: 12 },
        shadow: { maxUnits: 10 },
        workload,
      },
    ],
  });
  api.objects.clear();
  api.requests.length = 0;
  // A poll after each change still sees the old status (two reads per primary poll).
  api.settleAfterReads = 3;
  api.put('deployments', NS, primaryDeployment(IMAGE41));
  eksMock.reset();
  eksMock.on(DescribeClusterCommand, { name: 'prod' }).resolves({
    cluster: {
      name: 'prod',
      endpoint: api.endpoint,
      certificateAuthority: { data: Buffer.from(api.caPem).toString('base64') },
    },
  });
  const kube = new KubernetesHttpApi(new EKSClient({ region: 'us-east-1' }), {
    credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }),
    region: async () => 'us-east-1',
  });
  const ports = simPorts(fleet);
  const pool = new EksBranchPool(ports.compute, kube);
  const repos = makeMemoryRepositories({ clock });
  const tests = new SimTestRunner(clock, {
    outcome: 'pass',
    durationSeconds: 600,
    heartbeatEverySeconds: 60,
  });
  setRuntime({
    clock,
    repositories: repos,
    events: new MemoryEventPublisher(),
    compute: pool,
    versions: pool,
    traffic: ports.traffic,
    health: ports.targetHealth,
    tests,
  });
  return { clock, fleet, repos, tests, workload, cosim: new CoSimulation(fleet) };
}

function forecast(metric: string, values: number[]): Prediction {
  return {
    workloadId: ID,
    metric,
    generatedAt: T0,
    startMs: T0,
    intervalMs: 5 * MINUTE,
    point: values.map((v) => v * 0.8),
    quantiles: [{ q: 0.95, values }],
    model: 'ets',
    confidence: 'high',
    signals: [],
  };
}

async function register(w: World): Promise<void> {
  await w.repos.workloads.create(w.workload);
  const requests = Array.from({ length: 24 }, (_, i) => (i === 2 ? CAP * 1.2 : 50_000));
  await w.repos.predictions.putPrediction(forecast('requests', requests));
  await w.repos.predictions.putPrediction(
    forecast(
      'cpu',
      Array.from({ length: 24 }, () => 600),
    ),
  );
}

async function run(
  w: World,
  input: unknown,
  options: {
    name?: string;
    wrap?: (state: string, task: TaskFn) => TaskFn;
    crashAfter?: (state: string) => boolean;
  } = {},
): Promise<{ outcome: ExecutionOutcome; states: string[] }> {
  const gate = localTestGate({
    answers: w.tests,
    clock: w.clock,
    sleepUntil: (ms) => w.cosim.sleepUntil(ms),
  });
  const { definition, handlers, context } = localPipelineStateMachine(gate);
  const wrapped: Record<string, TaskHandler> = {};
  const control = { abort: () => {} };
  for (const [state, task] of Object.entries(handlers)) {
    const fn = options.wrap ? options.wrap(state, task) : task;
    wrapped[state] = (async (i: unknown) => {
      const output = await fn(i);
      if (options.crashAfter?.(state)) control.abort();
      return output;
    }) as TaskHandler;
  }
  const states: string[] = [];
  const execution = w.cosim.start({
    name: options.name ?? 'deploy-run-1',
    definition: definition as unknown as StateMachineDefinition,
    input: input as never,
    handlers: wrapped,
    onEvent: (event: ExecutionLogEvent) => {
      if (event.type === 'state-entered') states.push(event.state);
    },
    context,
  });
  control.abort = () => execution.abort();
  let outcome: ExecutionOutcome | undefined;
  void execution.outcome.then((o) => {
    outcome = o;
  });
  for (let i = 0; i < 600 && outcome === undefined; i++) await w.cosim.advanceTo(w.fleet.now() + MINUTE);
  if (!outcome) throw new Error(`execution did not end; states: ${states.join(' > ')}`);
  return { outcome, states };
}

const image = (o: Record<string, unknown> | undefined) =>
  (o?.spec as { template: { spec: { containers: { image: string }[] } } } | undefined)?.template.spec
    .containers[0]?.image;

async function expectNothingLeft(w: World, primaryImage: string): Promise<void> {
  expect(w.fleet.getWeights(ID)).toEqual({ primary: 100, shadow: 0 });
  expect(w.fleet.describe(ID, 'shadow').exists).toBe(false);
  expect(image(api.object('deployments', NS, 'checkout-api'))).toBe(primaryImage);
  expect([...api.objects.keys()]).toEqual([`deployments/${NS}/checkout-api`]);
  expect(await w.repos.operations.getLease(ID)).toBeUndefined();
}

const created = (kind: string) =>
  api.requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/${kind}`));

jest.setTimeout(120_000);
afterEach(() => resetRuntime());

describe('pipeline-branch on EKS: shadow nodegroup + Deployment + TargetGroupBinding', () => {
  it('contended: branches onto a shadow Deployment of the new image, tests pass, merges by patching the primary', async () => {
    const w = world();
    await register(w);

    const r = await run(w, INPUT);

    expect(r.outcome.status).toBe('succeeded');
    expect(r.states.at(-1)).toBe('Merged');
    await expectNothingLeft(w, IMAGE42);
    const op = await w.repos.operations.get(OP);
    expect(op?.plan).toMatchObject({ version: IMAGE42, branch: true, previousVersion: IMAGE41 });
    const units = op?.steps.find((s) => s.name === 'provisioned')?.detail.units as number;
    expect(units).toBeGreaterThan(0);
    // The shadow objects, once each: replicas from the planning core's size (2 a node), the new
    // image, pinned to the shadow nodes; a Service; the binding to the shadow target group.
    const [deployment] = created('deployments');
    expect(created('deployments')).toHaveLength(1);
    expect(deployment?.body).toMatchObject({
      metadata: { name: 'checkout-api-shadow', labels: { 'app.kubernetes.io/managed-by': 'shadowscale' } },
      spec: {
        replicas: units * 2,
        template: {
          metadata: { labels: { app: 'checkout-shadow' } },
          spec: {
            nodeSelector: { 'shadowscale/pool': 'shadow' },
            containers: [{ name: 'app', image: IMAGE42 }],
          },
        },
      },
    });
    expect(created('services')).toHaveLength(1);
    expect(created('targetgroupbindings')[0]?.body).toMatchObject({
      apiVersion: 'elbv2.k8s.aws/v1beta1',
      spec: {
        serviceRef: { name: 'checkout-api-shadow', port: 8080 },
        targetGroupARN: w.workload.traffic.shadowTargetGroupArn,
        targetType: 'ip',
      },
    });
    // The merge: a strategic merge patch of the primary's container image, then the rollout waited for.
    const patches = api.requests.filter(
      (q) => q.method === 'PATCH' && q.path.endsWith('/deployments/checkout-api'),
    );
    expect(patches.map((p) => [p.contentType, p.body])).toEqual([
      [
        'application/strategic-merge-patch+json',
        { spec: { template: { spec: { containers: [{ name: 'app', image: IMAGE42 }] } } } },
      ],
    ]);
    const names = op?.steps.map((s) => s.name) ?? [];
    expect(names.indexOf('primary-deployed')).toBeGreaterThan(names.indexOf('primary-deploying'));
    expect(r.states.filter((s) => s === 'CheckPrimaryStable').length).toBeGreaterThanOrEqual(2);
    // Torn down in order: binding, Service, Deployment (then the nodegroup).
    expect(api.requests.filter((q) => q.method === 'DELETE').map((q) => q.path.split('/').at(-2))).toEqual([
      'targetgroupbindings',
      'services',
      'deployments',
    ]);
  });

  it('tests fail: discards; shadow objects and nodegroup deleted, primary untouched', async () => {
    const w = world();
    await register(w);
    w.tests.behaviour = { outcome: 'fail', durationSeconds: 300, heartbeatEverySeconds: 60 };

    const r = await run(w, INPUT);

    expect(r.outcome).toMatchObject({ status: 'failed', error: 'DeploymentDiscarded' });
    expect((r.outcome as { cause: string }).cause).toMatch(/TestsFailed.*shadow environment deleted/);
    await expectNothingLeft(w, IMAGE41);
    expect(api.requests.some((q) => q.method === 'PATCH' && q.path.endsWith('/checkout-api'))).toBe(false);
  });

  it('a failure after the primary was patched rolls it back to the image it ran', async () => {
    const w = world();
    await register(w);
    let failed = false;

    const r = await run(w, INPUT, {
      wrap: (state, task) =>
        state === 'PlanMerge' && !failed
          ? async () => {
              failed = true;
              throw new PlanRejectedError('injected: merge refused');
            }
          : task,
    });

    expect(r.outcome).toMatchObject({ status: 'failed', error: 'DeploymentDiscarded' });
    expect((r.outcome as { cause: string }).cause).toContain(`primary rolled back to ${IMAGE41}`);
    await expectNothingLeft(w, IMAGE41);
  });

  it.each([
    'Provision',
    'CheckHealthy',
    'Shift',
    'DeployPrimary',
    'CheckPrimaryStable',
    'ReturnShift',
    'Decommission',
  ])(
    'a crash after %s: the rerun continues, finds the shadow objects and never duplicates them',
    async (crashState) => {
      const w = world();
      await register(w);
      let crashed = false;
      const first = await run(w, INPUT, {
        crashAfter: (state) => {
          if (state !== crashState || crashed) return false;
          crashed = true;
          return true;
        },
      });
      expect(crashed).toBe(true);
      expect(first.outcome.status).toBe('failed');

      const second = await run(w, INPUT, { name: 'deploy-run-2' });

      expect(second.outcome.status).toBe('succeeded');
      await expectNothingLeft(w, IMAGE42);
      const ops = (await w.repos.operations.listByWorkload(ID)).items;
      expect(ops).toHaveLength(1);
      expect(ops[0]?.steps.filter((s) => s.name === 'branched')).toHaveLength(1);
      // Create-or-get: a second POST of a shadow object meets 409 AlreadyExists and reads it.
      const posts = created('deployments').length;
      expect(posts).toBeLessThanOrEqual(2);
      expect(
        api.requests.filter((q) => q.method === 'PATCH' && q.path.endsWith('/checkout-api')),
      ).toHaveLength(1);
    },
  );

  it.each<[string, Record<string, unknown> | null, unknown, RegExp]>([
    [
      'an EKS workload without its Kubernetes objects',
      null,
      INPUT,
      /field `workloadId` = "checkout-api": an EKS workload needs `compute.kubernetes`/,
    ],
    [
      'a task definition for an EKS workload',
      { namespace: NS, deployment: 'checkout-api' },
      { ...INPUT, version: 'checkout-api:42' },
      /field `version` = "checkout-api:42": workload checkout-api runs on EKS: the version must be a container image/,
    ],
  ])('bad input (%s) ends in InvalidInput with nothing touched', async (_name, kubernetes, input, cause) => {
    const w = world(kubernetes);
    await register(w);
    const r = await run(w, input);
    expect(r.outcome).toMatchObject({ status: 'failed', error: 'ValidationError' });
    expect((r.outcome as { cause: string }).cause).toMatch(cause);
    expect(r.states).toEqual(['Validate', 'InvalidInput']);
    expect(api.requests).toEqual([]);
    expect((await w.repos.operations.listByWorkload(ID)).items).toEqual([]);
  });
});
