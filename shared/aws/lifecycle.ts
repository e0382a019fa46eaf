import { type CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import {
  CreateSnapshotCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  type EC2Client,
  type Filter,
} from '@aws-sdk/client-ec2';
import { DescribeTasksCommand, type ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { PoolRole } from '../ports/compute';
import type {
  DiagnosticsRequest,
  DiagnosticsStarter,
  DiagnosticsTarget,
  Notifier,
  SnapshotRequest,
  SnapshotResult,
  VolumeSnapshotter,
} from '../ports/lifecycle';
import type { Workload } from '../schemas/workload';
import { awsFailure, MANAGED_TAG, WORKLOAD_TAG } from './common';
import { shadowServiceName } from './ecs-pool';
import { shadowNodegroupName } from './eks-pool';

/** Tag on every snapshot a lifecycle run takes: a retry finds them instead of taking more. */
export const RUN_TAG = 'shadowscale:lifecycle-run';
export const RULE_TAG = 'shadowscale:lifecycle-rule';

/** ECS task attachments of this type are the task's EBS volumes (ECS-managed volumes). */
const ECS_EBS_ATTACHMENT = 'AmazonElasticBlockStorage';

async function call<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (error) {
    throw awsFailure(error, what);
  }
}

/**
 * Snapshots the EBS volumes attached to a workload's pool: the ECS service's running tasks
 * (their `AmazonElasticBlockStorage` attachments) or the nodegroup's running instances (tagged
 * by EKS with the cluster and nodegroup names). Each snapshot is created with its tags
 * (Shadowscale's, then the rule's), so IAM can require them; a volume that already has a snapshot
 * of this run is not snapshotted again.
 */
export class Ec2VolumeSnapshotter implements VolumeSnapshotter {
  constructor(private readonly clients: { ec2: () => EC2Client; ecs: () => ECSClient }) {}

  async snapshot(workload: Workload, role: PoolRole, request: SnapshotRequest): Promise<SnapshotResult> {
    const volumes = [...new Set(await this.volumesOf(workload, role))].sort();
    const snapshots: string[] = [];
    for (const volumeId of volumes) {
      const existing = await call('DescribeSnapshots', () =>
        this.clients.ec2().send(
          new DescribeSnapshotsCommand({
            OwnerIds: ['self'],
            Filters: [
              { Name: 'volume-id', Values: [volumeId] },
              { Name: `tag:${RUN_TAG}`, Values: [request.runId] },
            ],
          }),
        ),
      );
      const found = existing.Snapshots?.find((s) => s.SnapshotId)?.SnapshotId;
      if (found) {
        snapshots.push(found);
        continue;
      }
      const tags = [
        { Key: MANAGED_TAG, Value: 'true' },
        { Key: WORKLOAD_TAG, Value: workload.workloadId },
        { Key: RUN_TAG, Value: request.runId },
        { Key: RULE_TAG, Value: request.rule },
        ...Object.entries(request.tags).map(([Key, Value]) => ({ Key, Value })),
      ];
      const created = await call('CreateSnapshot', () =>
        this.clients.ec2().send(
          new CreateSnapshotCommand({
            VolumeId: volumeId,
            Description: `Shadowscale lifecycle rule ${request.rule} of ${workload.workloadId}`.slice(0, 255),
            TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }],
          }),
        ),
      );
      if (created.SnapshotId) snapshots.push(created.SnapshotId);
    }
    return { volumes, snapshots };
  }

  private async volumesOf(workload: Workload, role: PoolRole): Promise<string[]> {
    const compute = workload.compute;
    if (compute.kind === 'ecs') {
      const serviceName = role === 'primary' ? compute.service : shadowServiceName(compute);
      const arns: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await call('ListTasks', () =>
          this.clients.ecs().send(
            new ListTasksCommand({
              cluster: compute.cluster,
              serviceName,
              desiredStatus: 'RUNNING',
              nextToken,
            }),
          ),
        );
        arns.push(...(page.taskArns ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      const volumes: string[] = [];
      for (let i = 0; i < arns.length; i += 100) {
        const out = await call('DescribeTasks', () =>
          this.clients
            .ecs()
            .send(new DescribeTasksCommand({ cluster: compute.cluster, tasks: arns.slice(i, i + 100) })),
        );
        for (const task of out.tasks ?? [])
          for (const att of task.attachments ?? [])
            if (att.type === ECS_EBS_ATTACHMENT)
              for (const d of att.details ?? []) if (d.name === 'volumeId' && d.value) volumes.push(d.value);
      }
      return volumes;
    }
    const nodegroup = role === 'primary' ? compute.nodegroup : shadowNodegroupName(compute);
    const filters: Filter[] = [
      { Name: 'tag:eks:cluster-name', Values: [compute.cluster] },
      { Name: 'tag:eks:nodegroup-name', Values: [nodegroup] },
      { Name: 'instance-state-name', Values: ['running'] },
    ];
    const volumes: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await call('DescribeInstances', () =>
        this.clients.ec2().send(new DescribeInstancesCommand({ Filters: filters, NextToken: nextToken })),
      );
      for (const reservation of page.Reservations ?? [])
        for (const instance of reservation.Instances ?? [])
          for (const mapping of instance.BlockDeviceMappings ?? [])
            if (mapping.Ebs?.VolumeId) volumes.push(mapping.Ebs.VolumeId);
      nextToken = page.NextToken;
    } while (nextToken);
    return volumes;
  }
}

/**
 * Starts tests or diagnostics with the run's token: CodeBuild's `idempotencyToken` (a retry within
 * five minutes gets the same build) and the Step Functions execution name (a second start of a
 * closed execution with that name is refused with ExecutionAlreadyExists: it ran, so it is done).
 */
export class AwsDiagnosticsStarter implements DiagnosticsStarter {
  constructor(private readonly clients: { codebuild: () => CodeBuildClient; sfn: () => SFNClient }) {}

  async start(target: DiagnosticsTarget, request: DiagnosticsRequest): Promise<{ id: string }> {
    const env = {
      SHADOWSCALE_WORKLOAD_ID: request.workloadId,
      SHADOWSCALE_LIFECYCLE_RULE: request.rule,
      SHADOWSCALE_EVENT_ID: request.eventId,
      SHADOWSCALE_TRIGGER: request.detailType,
    };
    if (target.kind === 'codebuild') {
      const out = await call('StartBuild', () =>
        this.clients.codebuild().send(
          new StartBuildCommand({
            projectName: target.projectName,
            idempotencyToken: request.token,
            environmentVariablesOverride: Object.entries(env).map(([name, value]) => ({
              name,
              value,
              type: 'PLAINTEXT' as const,
            })),
          }),
        ),
      );
      return { id: out.build?.id ?? `${target.projectName}:${request.token}` };
    }
    try {
      const out = await this.clients.sfn().send(
        new StartExecutionCommand({
          stateMachineArn: target.stateMachineArn,
          name: request.token,
          input: JSON.stringify({
            workloadId: request.workloadId,
            rule: request.rule,
            eventId: request.eventId,
            trigger: request.detailType,
          }),
        }),
      );
      return { id: out.executionArn ?? request.token };
    } catch (error) {
      if (error instanceof Error && error.name === 'ExecutionAlreadyExists')
        return { id: `${target.stateMachineArn.replace(':stateMachine:', ':execution:')}:${request.token}` };
      throw awsFailure(error, 'StartExecution');
    }
  }
}

/** SNS subjects are ASCII, one line, under 100 characters. */
export function snsSubject(subject: string): string {
  return (
    subject
      .replace(/[\r\n]+/g, ' ')
      .replace(/[^\x20-\x7e]/g, '?')
      .slice(0, 99) || 'Shadowscale'
  );
}

export class SnsNotifier implements Notifier {
  constructor(private readonly sns: () => SNSClient) {}

  async notify(topicArn: string, subject: string, message: string): Promise<{ messageId: string }> {
    const out = await call('Publish', () =>
      this.sns().send(
        new PublishCommand({ TopicArn: topicArn, Subject: snsSubject(subject), Message: message }),
      ),
    );
    return { messageId: out.MessageId ?? '' };
  }
}
