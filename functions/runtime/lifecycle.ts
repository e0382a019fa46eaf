import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { AwsDiagnosticsStarter, Ec2VolumeSnapshotter, SnsNotifier } from '../../shared/aws/lifecycle';
import { documentClientFrom } from '../../shared/data/client';
import { makeDynamoLifecycleRuns } from '../../shared/data/lifecycle-runs';
import type {
  DiagnosticsStarter,
  LifecycleRunRepository,
  Notifier,
  VolumeSnapshotter,
} from '../../shared/ports/lifecycle';
import { clock, overrides } from './index';
import { traced } from './powertools';
import { dynamoDbClient, tableNames } from './repositories';

/**
 * The lifecycle adapters for handlers, each built once per container on first use, so a task
 * function creates only the SDK client it calls (`AWS_ENDPOINT_URL_*` / `AWS_ENDPOINT_URL`
 * honoured). `setRuntime({ lifecycleRuns, snapshots, diagnostics, notifier })` wins.
 */
let runs: LifecycleRunRepository | undefined;
let snapshotter: VolumeSnapshotter | undefined;
let starter: DiagnosticsStarter | undefined;
let sns: Notifier | undefined;

export function lifecycleRuns(): LifecycleRunRepository {
  if (overrides.lifecycleRuns) return overrides.lifecycleRuns;
  runs ??= makeDynamoLifecycleRuns(documentClientFrom(dynamoDbClient()), tableNames().operations, {
    now: () => clock().now(),
  });
  return runs;
}

export function snapshots(): VolumeSnapshotter {
  if (overrides.snapshots) return overrides.snapshots;
  let ec2: EC2Client | undefined;
  let ecs: ECSClient | undefined;
  snapshotter ??= new Ec2VolumeSnapshotter({
    ec2: () => {
      ec2 ??= traced(new EC2Client({}));
      return ec2;
    },
    ecs: () => {
      ecs ??= traced(new ECSClient({}));
      return ecs;
    },
  });
  return snapshotter;
}

export function diagnostics(): DiagnosticsStarter {
  if (overrides.diagnostics) return overrides.diagnostics;
  let codebuild: CodeBuildClient | undefined;
  let sfn: SFNClient | undefined;
  starter ??= new AwsDiagnosticsStarter({
    codebuild: () => {
      codebuild ??= traced(new CodeBuildClient({}));
      return codebuild;
    },
    sfn: () => {
      sfn ??= traced(new SFNClient({}));
      return sfn;
    },
  });
  return starter;
}

export function notifier(): Notifier {
  if (overrides.notifier) return overrides.notifier;
  let client: SNSClient | undefined;
  sns ??= new SnsNotifier(() => {
    client ??= traced(new SNSClient({}));
    return client;
  });
  return sns;
}
