import type { ActionOutcome, LifecycleRun } from '../schemas/lifecycle';
import type { Workload } from '../schemas/workload';
import type { PoolRole } from './compute';

/** Lifecycle runs, one per (workload, rule, event id). */
export interface LifecycleRunRepository {
  /** Create the run unless one with its id exists (conditional write); returns the stored one. */
  claim(run: LifecycleRun): Promise<{ run: LifecycleRun; created: boolean }>;
  get(runId: string): Promise<LifecycleRun | undefined>;
  /** Record an action's outcome; a second outcome for the same index is ignored (first wins). */
  recordOutcome(runId: string, outcome: ActionOutcome): Promise<LifecycleRun>;
  finish(runId: string, status: 'succeeded' | 'failed', reason: string): Promise<LifecycleRun>;
}

/** Tags Shadowscale puts on every snapshot it takes (besides the rule's own). */
export interface SnapshotRequest {
  /** Identifies the run: a retry finds the snapshots it already took by this tag. */
  runId: string;
  rule: string;
  tags: Record<string, string>;
}

export interface SnapshotResult {
  volumes: string[];
  snapshots: string[];
}

/** Snapshots the EBS volumes attached to a workload's ECS tasks or nodegroup instances. */
export interface VolumeSnapshotter {
  snapshot(workload: Workload, role: PoolRole, request: SnapshotRequest): Promise<SnapshotResult>;
}

export type DiagnosticsTarget =
  | { kind: 'codebuild'; projectName: string }
  | { kind: 'stepfunctions'; stateMachineArn: string };

export interface DiagnosticsRequest {
  /** Unique per (run, action): the start is idempotent on it. */
  token: string;
  workloadId: string;
  rule: string;
  eventId: string;
  detailType: string;
}

/** Starts automated tests or diagnostics (a CodeBuild build, a Step Functions execution). */
export interface DiagnosticsStarter {
  start(target: DiagnosticsTarget, request: DiagnosticsRequest): Promise<{ id: string }>;
}

/** Publishes a human-readable notification (SNS). */
export interface Notifier {
  notify(topicArn: string, subject: string, message: string): Promise<{ messageId: string }>;
}
