import { CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import {
  CreateSnapshotCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { AuthorizationErrorException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AwsDiagnosticsStarter,
  Ec2VolumeSnapshotter,
  RUN_TAG,
  SnsNotifier,
  snsSubject,
} from '../../../shared/aws/lifecycle';
import { TransientError } from '../../../shared/errors';
import { Workload } from '../../../shared/schemas/workload';
import { workloadInput } from '../../helpers/fixtures';

const ec2 = mockClient(EC2Client);
const ecs = mockClient(ECSClient);
const codebuild = mockClient(CodeBuildClient);
const sfn = mockClient(SFNClient);
const sns = mockClient(SNSClient);

const ecsWorkload = Workload.parse(workloadInput());
const eksWorkload = Workload.parse({
  ...workloadInput(),
  compute: { kind: 'eks', cluster: 'prod-eks', nodegroup: 'web' },
});

const snapshotter = () =>
  new Ec2VolumeSnapshotter({ ec2: () => new EC2Client({}), ecs: () => new ECSClient({}) });
const request = {
  runId: 'lifecycle#checkout-api#nightly#e-1#0',
  rule: 'nightly',
  tags: { team: 'payments' },
};

beforeEach(() => {
  for (const m of [ec2, ecs, codebuild, sfn, sns]) m.reset();
});

const ebs = (volumeId: string) => ({
  type: 'AmazonElasticBlockStorage',
  details: [
    { name: 'volumeName', value: 'data' },
    { name: 'volumeId', value: volumeId },
  ],
});

describe('Ec2VolumeSnapshotter', () => {
  it('snapshots the EBS volumes of the ECS service tasks, tagged on creation', async () => {
    ecs
      .on(ListTasksCommand)
      .resolvesOnce({ taskArns: ['t1'], nextToken: 'n' })
      .resolvesOnce({ taskArns: ['t2'] });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          attachments: [
            ebs('vol-1'),
            { type: 'ElasticNetworkInterface', details: [{ name: 'x', value: 'eni' }] },
          ],
        },
        { attachments: [ebs('vol-2')] },
      ],
    });
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    ec2
      .on(CreateSnapshotCommand)
      .resolvesOnce({ SnapshotId: 'snap-1' })
      .resolvesOnce({ SnapshotId: 'snap-2' });

    const result = await snapshotter().snapshot(ecsWorkload, 'primary', request);

    expect(result).toEqual({ volumes: ['vol-1', 'vol-2'], snapshots: ['snap-1', 'snap-2'] });
    expect(ecs.commandCalls(ListTasksCommand)[0]?.args[0].input).toMatchObject({
      cluster: 'prod',
      serviceName: 'checkout-api',
      desiredStatus: 'RUNNING',
    });
    expect(ecs.commandCalls(ListTasksCommand)[1]?.args[0].input.nextToken).toBe('n');
    expect(ecs.commandCalls(DescribeTasksCommand)[0]?.args[0].input.tasks).toEqual(['t1', 't2']);
    const create = ec2.commandCalls(CreateSnapshotCommand)[0]?.args[0].input;
    expect(create?.VolumeId).toBe('vol-1');
    expect(create?.TagSpecifications).toEqual([
      {
        ResourceType: 'snapshot',
        Tags: [
          { Key: 'shadowscale:managed', Value: 'true' },
          { Key: 'shadowscale:workload', Value: 'checkout-api' },
          { Key: RUN_TAG, Value: request.runId },
          { Key: 'shadowscale:lifecycle-rule', Value: 'nightly' },
          { Key: 'team', Value: 'payments' },
        ],
      },
    ]);
  });

  it('does not snapshot a volume again on a retry: finds the run tag', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: ['t1'] });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ attachments: [ebs('vol-1')] }] });
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-old' }] });

    const result = await snapshotter().snapshot(ecsWorkload, 'primary', request);

    expect(result.snapshots).toEqual(['snap-old']);
    expect(ec2.commandCalls(CreateSnapshotCommand)).toHaveLength(0);
    expect(ec2.commandCalls(DescribeSnapshotsCommand)[0]?.args[0].input.Filters).toEqual([
      { Name: 'volume-id', Values: ['vol-1'] },
      { Name: `tag:${RUN_TAG}`, Values: [request.runId] },
    ]);
  });

  it('finds the volumes of the shadow nodegroup instances by their EKS tags', async () => {
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            { BlockDeviceMappings: [{ Ebs: { VolumeId: 'vol-a' } }, { Ebs: { VolumeId: 'vol-b' } }] },
          ],
        },
      ],
    });
    ec2.on(DescribeSnapshotsCommand).resolves({});
    ec2.on(CreateSnapshotCommand).resolves({ SnapshotId: 'snap-x' });

    const result = await snapshotter().snapshot(eksWorkload, 'shadow', request);

    expect(result.volumes).toEqual(['vol-a', 'vol-b']);
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]?.args[0].input.Filters).toEqual([
      { Name: 'tag:eks:cluster-name', Values: ['prod-eks'] },
      { Name: 'tag:eks:nodegroup-name', Values: ['web-shadow'] },
      { Name: 'instance-state-name', Values: ['running'] },
    ]);
  });

  it('maps throttling to TransientError (the state machine retries it)', async () => {
    ecs.on(ListTasksCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    await expect(snapshotter().snapshot(ecsWorkload, 'primary', request)).rejects.toBeInstanceOf(
      TransientError,
    );
  });
});

describe('AwsDiagnosticsStarter', () => {
  const starter = () =>
    new AwsDiagnosticsStarter({ codebuild: () => new CodeBuildClient({}), sfn: () => new SFNClient({}) });
  const req = {
    token: 'checkout-api-nightly-0-abc',
    workloadId: 'checkout-api',
    rule: 'nightly',
    eventId: 'e-1',
    detailType: 'Scheduled Event',
  };

  it('starts a CodeBuild build with the token as idempotency token and the trigger as variables', async () => {
    codebuild.on(StartBuildCommand).resolves({ build: { id: 'diag:1' } });
    expect(await starter().start({ kind: 'codebuild', projectName: 'diag' }, req)).toEqual({ id: 'diag:1' });
    const input = codebuild.commandCalls(StartBuildCommand)[0]?.args[0].input;
    expect(input?.idempotencyToken).toBe(req.token);
    expect(input?.environmentVariablesOverride).toContainEqual({
      name: 'SHADOWSCALE_LIFECYCLE_RULE',
      value: 'nightly',
      type: 'PLAINTEXT',
    });
  });

  const machine = 'arn:aws:states:us-east-1:123456789012:stateMachine:diagnose';
  it('starts a Step Functions execution named by the token', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec', startDate: new Date() });
    expect(await starter().start({ kind: 'stepfunctions', stateMachineArn: machine }, req)).toEqual({
      id: 'arn:exec',
    });
    const input = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(input?.name).toBe(req.token);
    expect(JSON.parse(input?.input ?? '{}')).toEqual({
      workloadId: 'checkout-api',
      rule: 'nightly',
      eventId: 'e-1',
      trigger: 'Scheduled Event',
    });
  });

  it('an execution of that name already ran: started, not an error', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    expect(await starter().start({ kind: 'stepfunctions', stateMachineArn: machine }, req)).toEqual({
      id: `arn:aws:states:us-east-1:123456789012:execution:diagnose:${req.token}`,
    });
  });
});

describe('SnsNotifier', () => {
  const topic = 'arn:aws:sns:us-east-1:123456789012:oncall';
  it('publishes the message with a one-line ASCII subject under 100 characters', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const out = await new SnsNotifier(() => new SNSClient({})).notify(
      topic,
      `Café\nis ${'x'.repeat(200)}`,
      'body',
    );
    expect(out).toEqual({ messageId: 'm-1' });
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.TopicArn).toBe(topic);
    expect(input?.Message).toBe('body');
    expect(input?.Subject).toMatch(/^Caf\? is x+$/);
    expect(input?.Subject?.length).toBe(99);
  });

  it('lets a refusal through under its own name (not retried)', async () => {
    sns
      .on(PublishCommand)
      .rejects(new AuthorizationErrorException({ message: 'no', $metadata: { httpStatusCode: 403 } }));
    await expect(new SnsNotifier(() => new SNSClient({})).notify(topic, 's', 'm')).rejects.toMatchObject({
      name: 'AuthorizationErrorException',
    });
  });

  it.each([
    ['plain', 'plain'],
    ['', 'Shadowscale'],
  ])('subject %j -> %j', (given, expected) => {
    expect(snsSubject(given)).toBe(expected);
  });
});
