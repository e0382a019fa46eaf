import {
  ClientException,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type Service,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { EcsComputePool, shrinkContainers } from '../../../shared/aws/ecs-pool';
import { ConfigError, TransientError } from '../../../shared/errors';
import { Workload } from '../../../shared/schemas/workload';
import { workloadInput } from '../../helpers/fixtures';

const ecs = mockClient(ECSClient);
const workload = Workload.parse(workloadInput());
const PRIMARY_TD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/checkout-api:7';
const SHADOW_TD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/checkout-api-shadow:1';
const MANAGED = [
  { key: 'shadowscale:managed', value: 'true' },
  { key: 'shadowscale:workload', value: 'checkout-api' },
];

const primary: Service = {
  serviceName: 'checkout-api',
  status: 'ACTIVE',
  desiredCount: 6,
  runningCount: 6,
  pendingCount: 0,
  taskDefinition: PRIMARY_TD,
  launchType: 'FARGATE',
  platformVersion: 'LATEST',
  networkConfiguration: {
    awsvpcConfiguration: {
      subnets: ['subnet-1', 'subnet-2'],
      securityGroups: ['sg-1'],
      assignPublicIp: 'DISABLED',
    },
  },
  loadBalancers: [
    { targetGroupArn: workload.traffic.primaryTargetGroupArn, containerName: 'app', containerPort: 8080 },
  ],
  healthCheckGracePeriodSeconds: 30,
  tags: [{ key: 'team', value: 'payments' }],
};

function services(byName: Record<string, Service | undefined>): void {
  ecs.on(DescribeServicesCommand).callsFake(async (input: { services: string[] }) => {
    const name = input.services[0] as string;
    const found = byName[name];
    return found
      ? { services: [found], failures: [] }
      : { services: [], failures: [{ arn: name, reason: 'MISSING' }] };
  });
}

function primaryTaskDefinition(tags = [{ key: 'team', value: 'payments' }]): void {
  ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: PRIMARY_TD }).resolves({
    taskDefinition: {
      taskDefinitionArn: PRIMARY_TD,
      family: 'checkout-api',
      status: 'ACTIVE',
      cpu: '1024',
      memory: '2048',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      taskRoleArn: 'arn:aws:iam::123456789012:role/task',
      containerDefinitions: [
        {
          name: 'app',
          image: 'public.ecr.aws/nginx/nginx:1.27',
          cpu: 1024,
          memory: 2048,
          portMappings: [{ containerPort: 8080 }],
        },
      ],
    },
    tags,
  });
}

beforeEach(() => ecs.reset());

describe('EcsComputePool.ensureShadow', () => {
  it('copies none of the tags AWS reserves (aws:...) or owns by us, which RegisterTaskDefinition would reject', async () => {
    services({ 'checkout-api': primary });
    primaryTaskDefinition([
      { key: 'team', value: 'payments' },
      { key: 'aws:cloudformation:stack-name', value: 'prod' },
      { key: 'shadowscale:workload', value: 'other' },
    ]);
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: 'checkout-api-shadow' })
      .rejects(new ClientException({ message: 'Unable to describe task definition.', $metadata: {} }));
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: SHADOW_TD } });
    ecs.on(CreateServiceCommand).resolves({});
    await new EcsComputePool(new ECSClient({})).ensureShadow(workload, {
      units: 4,
      taskCpu: 512,
      taskMemory: 1024,
    });
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input.tags).toEqual([
      { key: 'team', value: 'payments' },
      ...MANAGED,
    ]);
  });

  it('creates the shadow service from a smaller copy of the primary task definition', async () => {
    services({ 'checkout-api': primary });
    primaryTaskDefinition();
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: 'checkout-api-shadow' })
      .rejects(new ClientException({ message: 'Unable to describe task definition.', $metadata: {} }));
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: SHADOW_TD } });
    ecs.on(CreateServiceCommand).resolves({});
    const pool = new EcsComputePool(new ECSClient({}));

    await pool.ensureShadow(workload, { units: 4, taskCpu: 512, taskMemory: 1024 });

    const registered = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input;
    expect(registered).toMatchObject({
      family: 'checkout-api-shadow',
      cpu: '512',
      memory: '1024',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      taskRoleArn: 'arn:aws:iam::123456789012:role/task',
      containerDefinitions: [
        { name: 'app', image: 'public.ecr.aws/nginx/nginx:1.27', cpu: 512, memory: 1024 },
      ],
      tags: [{ key: 'team', value: 'payments' }, ...MANAGED],
    });
    expect(ecs.commandCalls(CreateServiceCommand)[0]?.args[0].input).toEqual({
      cluster: 'prod',
      serviceName: 'checkout-api-shadow',
      taskDefinition: SHADOW_TD,
      desiredCount: 4,
      loadBalancers: [
        { targetGroupArn: workload.traffic.shadowTargetGroupArn, containerName: 'app', containerPort: 8080 },
      ],
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      networkConfiguration: primary.networkConfiguration,
      healthCheckGracePeriodSeconds: 30,
      enableECSManagedTags: true,
      propagateTags: 'SERVICE',
      tags: MANAGED,
    });
  });

  it('reuses the latest shadow revision when it already matches', async () => {
    services({ 'checkout-api': primary });
    primaryTaskDefinition();
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: 'checkout-api-shadow' }).resolves({
      taskDefinition: {
        taskDefinitionArn: SHADOW_TD,
        status: 'ACTIVE',
        cpu: '512',
        memory: '1024',
        containerDefinitions: [
          {
            name: 'app',
            image: 'public.ecr.aws/nginx/nginx:1.27',
            cpu: 512,
            memory: 1024,
            portMappings: [{ containerPort: 8080 }],
          },
        ],
      },
    });
    ecs.on(CreateServiceCommand).resolves({});
    await new EcsComputePool(new ECSClient({})).ensureShadow(workload, {
      units: 2,
      taskCpu: 512,
      taskMemory: 1024,
    });
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(ecs.commandCalls(CreateServiceCommand)[0]?.args[0].input.taskDefinition).toBe(SHADOW_TD);
  });

  it('a rerun finds the shadow service and only rescales it', async () => {
    services({
      'checkout-api': primary,
      'checkout-api-shadow': {
        serviceName: 'checkout-api-shadow',
        status: 'ACTIVE',
        desiredCount: 0,
        runningCount: 0,
        pendingCount: 0,
        tags: MANAGED,
      },
    });
    const status = await new EcsComputePool(new ECSClient({})).ensureShadow(workload, { units: 3 });
    expect(status).toMatchObject({ exists: true, desired: 3 });
    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: 'prod', service: 'checkout-api-shadow', desiredCount: 3 },
    ]);
    expect(ecs.commandCalls(CreateServiceCommand)).toHaveLength(0);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
  });

  it('refuses to adopt a same-named service it did not create', async () => {
    services({
      'checkout-api-shadow': {
        serviceName: 'checkout-api-shadow',
        status: 'ACTIVE',
        desiredCount: 1,
        tags: [],
      },
    });
    await expect(new EcsComputePool(new ECSClient({})).ensureShadow(workload, { units: 3 })).rejects.toThrow(
      ConfigError,
    );
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('waits (TransientError) while a deleted shadow service drains', async () => {
    services({
      'checkout-api-shadow': { serviceName: 'checkout-api-shadow', status: 'DRAINING', tags: MANAGED },
    });
    await expect(new EcsComputePool(new ECSClient({})).ensureShadow(workload, { units: 3 })).rejects.toThrow(
      TransientError,
    );
  });
});

describe('EcsComputePool.describe / scale / deleteShadow', () => {
  it.each<[string, Service | undefined, object]>([
    ['absent', undefined, { exists: false, ready: 0 }],
    ['inactive', { serviceName: 'checkout-api-shadow', status: 'INACTIVE' }, { exists: false }],
    [
      'rolling: old tasks drain',
      {
        serviceName: 'checkout-api-shadow',
        status: 'ACTIVE',
        desiredCount: 4,
        runningCount: 5,
        pendingCount: 1,
        deployments: [
          { status: 'PRIMARY', runningCount: 3 },
          { status: 'ACTIVE', runningCount: 2 },
        ],
      },
      { exists: true, desired: 4, pending: 1, ready: 3, draining: 2 },
    ],
  ])('describe: %s', async (_name, service, expected) => {
    services({ 'checkout-api-shadow': service });
    await expect(new EcsComputePool(new ECSClient({})).describe(workload, 'shadow')).resolves.toMatchObject(
      expected,
    );
  });

  it('scales the shadow to zero and deletes it with force', async () => {
    services({
      'checkout-api-shadow': {
        serviceName: 'checkout-api-shadow',
        status: 'ACTIVE',
        desiredCount: 4,
        tags: MANAGED,
      },
    });
    const pool = new EcsComputePool(new ECSClient({}));
    await pool.scale(workload, 'shadow', 0);
    await pool.deleteShadow(workload);
    expect(ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({
      cluster: 'prod',
      service: 'checkout-api-shadow',
      desiredCount: 0,
    });
    expect(ecs.commandCalls(DeleteServiceCommand)[0]?.args[0].input).toEqual({
      cluster: 'prod',
      service: 'checkout-api-shadow',
      force: true,
    });
  });

  it('deleting an absent shadow is a no-op', async () => {
    services({});
    await new EcsComputePool(new ECSClient({})).deleteShadow(workload);
    expect(ecs.commandCalls(DeleteServiceCommand)).toHaveLength(0);
  });
});

describe('shrinkContainers', () => {
  it('caps container limits at the smaller task size', () => {
    expect(
      shrinkContainers(
        [
          { name: 'a', cpu: 1024, memory: 4096, memoryReservation: 2048 },
          { name: 'b', cpu: 128 },
        ],
        512,
        1024,
      ),
    ).toEqual([
      { name: 'a', cpu: 512, memory: 1024, memoryReservation: 1024 },
      { name: 'b', cpu: 128 },
    ]);
  });
});

describe('EcsComputePool versions', () => {
  const V8 = 'arn:aws:ecs:us-east-1:123456789012:task-definition/checkout-api:8';

  it('reports the task definition a service runs, and nothing for an absent pool', async () => {
    services({ 'checkout-api': primary });
    const pool = new EcsComputePool(new ECSClient({}));
    expect(await pool.version(workload, 'primary')).toBe(PRIMARY_TD);
    expect(await pool.version(workload, 'shadow')).toBeUndefined();
  });

  it('deploys a task definition with UpdateService, and does nothing when it already runs it', async () => {
    services({ 'checkout-api': primary });
    ecs.on(UpdateServiceCommand).resolves({});
    const pool = new EcsComputePool(new ECSClient({}));

    await pool.deploy(workload, 'primary', V8);
    await pool.deploy(workload, 'primary', PRIMARY_TD);

    const updates = ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input);
    expect(updates).toEqual([{ cluster: 'prod', service: 'checkout-api', taskDefinition: V8 }]);
  });

  it('deploys an image as a managed revision of the primary family with that image', async () => {
    services({ 'checkout-api': primary });
    primaryTaskDefinition();
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: 'checkout-api' }).resolves({
      taskDefinition: {
        taskDefinitionArn: PRIMARY_TD,
        family: 'checkout-api',
        status: 'ACTIVE',
        containerDefinitions: [],
      },
    });
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: V8 } });
    ecs.on(UpdateServiceCommand).resolves({});

    await new EcsComputePool(new ECSClient({})).deploy(
      workload,
      'primary',
      'public.ecr.aws/acme/checkout:2.0.1',
    );

    const registered = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input;
    expect(registered?.family).toBe('checkout-api');
    expect(registered?.containerDefinitions?.[0]?.image).toBe('public.ecr.aws/acme/checkout:2.0.1');
    expect(registered?.tags).toEqual(expect.arrayContaining(MANAGED));
    expect(ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({
      cluster: 'prod',
      service: 'checkout-api',
      taskDefinition: V8,
    });
  });
});
