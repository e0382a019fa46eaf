import { type Clock, systemClock } from '../../shared/clock';
import type { ComputePool, VersionedPool } from '../../shared/ports/compute';
import type { EventPublisher } from '../../shared/ports/events';
import type {
  DiagnosticsStarter,
  LifecycleRunRepository,
  Notifier,
  VolumeSnapshotter,
} from '../../shared/ports/lifecycle';
import type { MetricsSource, TargetHealthSource } from '../../shared/ports/metrics';
import type { RegionalExecutionStarter, RegionalHealthSource, StandbyPool } from '../../shared/ports/regions';
import type { Repositories } from '../../shared/ports/repositories';
import type { TestRunnerPort } from '../../shared/ports/tests';
import type { RegionRouter, TrafficRouter } from '../../shared/ports/traffic';

/**
 * The one place handlers get their ports from. In AWS each piece is built lazily, once per
 * container, by its module in this folder (`repositories.ts`, `metrics.ts`, `events.ts`,
 * `compute.ts`, `traffic.ts`, `health.ts`), so a handler bundles only the SDK clients it uses.
 * The local run and the tests install other adapters (the simulator, in-memory stores, a local
 * DynamoDB) with `setRuntime`, and the *same* handler code runs over them. Every SDK client is
 * traced (`traced` in powertools.ts, which also holds the one Logger, Metrics and Tracer).
 */
export interface Runtime {
  clock: Clock;
  repositories: Repositories;
  metrics: MetricsSource;
  events: EventPublisher;
  compute: ComputePool;
  traffic: TrafficRouter;
  health: TargetHealthSource;
  regions: RegionRouter;
  /** The workload's service in its standby region. */
  standby: StandbyPool;
  /** Per-region endpoint health (each region's ALB metrics). */
  regionalHealth: RegionalHealthSource;
  /** Starts regional-failover / regional-failback executions (the detector). */
  regionalStarter: RegionalExecutionStarter;

  /** What each pool runs and rolling it onto a new version (deploy-time branching). */
  versions: VersionedPool;
  /** Starts a workload's integration tests with a task token. */
  tests: TestRunnerPort;

  /** Lifecycle rules: their runs, and the snapshot, diagnostics and notification adapters. */
  lifecycleRuns: LifecycleRunRepository;
  snapshots: VolumeSnapshotter;
  diagnostics: DiagnosticsStarter;
  notifier: Notifier;
}

export const overrides: Partial<Runtime> = {};

/** Install adapters (all or some); later calls replace earlier ones piece by piece. */
export function setRuntime(pieces: Partial<Runtime>): void {
  Object.assign(overrides, pieces);
}

/** Forget installed adapters (tests call it in afterEach). */
export function resetRuntime(): void {
  for (const key of Object.keys(overrides) as (keyof Runtime)[]) delete overrides[key];
}

export function clock(): Clock {
  return overrides.clock ?? systemClock;
}
