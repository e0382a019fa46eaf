import type { SeriesAnomaly } from '../anomaly/series';
import type { LearnerState } from '../planning/learner';
import type { MetricFingerprint } from '../profile/fingerprint';
import type { Lease, Operation, OperationStatus, OperationStep, TrafficWeights } from '../schemas/operation';
import type { Prediction } from '../schemas/series';
import type { Signal } from '../schemas/signal';
import type { Workload, WorkloadProfile, WorkloadRecord } from '../schemas/workload';

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page; absent on the last page. */
  next?: string;
}

export interface WorkloadRepository {
  /** Create a new workload (version 1). ConflictError if the id exists. */
  create(workload: Workload): Promise<WorkloadRecord>;
  /** Replace the definition if the stored version is `expectedVersion`; ConflictError otherwise. */
  update(workload: Workload, expectedVersion: number): Promise<WorkloadRecord>;
  updateProfile(
    workloadId: string,
    profile: WorkloadProfile,
    expectedVersion: number,
  ): Promise<WorkloadRecord>;
  /**
   * Replace the learned profile alone (fingerprints, forecast accuracy), keeping the version: the
   * forecaster writes it every run and must not race definition updates. NotFoundError if absent.
   */
  putProfile(workloadId: string, profile: WorkloadProfile): Promise<void>;
  get(workloadId: string): Promise<WorkloadRecord | undefined>;
  list(options?: WorkloadListOptions): Promise<Page<WorkloadRecord>>;
  delete(workloadId: string): Promise<void>;
}

export interface WorkloadListOptions {
  limit?: number;
  cursor?: string;
  /**
   * Read each listed workload's learned profile too (default true). False for callers that need
   * the definitions only (the fan-out's paging): the profile is an item of its own, read apart.
   */
  profiles?: boolean;
}

/** Serialised forecaster state for incremental updates (see shared/forecast). Opaque here. */
export interface ModelStateRecord {
  workloadId: string;
  metric: string;
  /** Timestamp of the last observation absorbed into the state. */
  lastPointMs: number;
  /** When the model was last fully refitted. */
  fittedAt: number;
  state: unknown;
  /** The series' anomaly detector and status, advanced by every forecaster run. */
  anomaly?: SeriesAnomaly;
  /**
   * The series' behavioural fingerprint, as older forecasters kept it here; now in the workload's
   * profile (read from here only until the profile has one).
   */
  fingerprint?: MetricFingerprint;
  /** The planning-settings learner's scores and choice (shared/planning/learner.ts). */
  learner?: LearnerState;
  /**
   * Where the stored state's fit-only part is (set by `getModelState`). Pass it back with the next
   * state of the series so an unchanged part is not written again; absent, the part is written.
   */
  baseRef?: ModelStateBaseRef;
}

/** One of a series' two slots for the fit-only part of its state, and that part's content hash. */
export interface ModelStateBaseRef {
  slot: 0 | 1;
  hash: string;
}

/** The branch decision with hysteresis, stored so it does not flap between runs. */
export interface ContentionDecisionRecord {
  workloadId: string;
  contended: boolean;
  score: number;
  /** When the decision last changed. */
  since: number;
  updatedAt: number;
  /** Set while contended: predicted shortage time and recommended shadow size. */
  shortageAt?: number;
  recommendedShadowUnits?: number;
  /** The workload's anomaly score at this run, and the metrics in an anomaly (if any). */
  anomalyScore?: number;
  anomalousMetrics?: string[];
  /** Adaptive cadence: the forecaster's next run for this workload (absent: every run). */
  nextRunAt?: number;
  /** Per metric, the highest demand the forecast planned for until `nextRunAt` (breach check). */
  expectedHigh?: Record<string, number>;
}

/**
 * The regional detector's hysteresis per workload (consecutive observations per region, open AWS
 * Health issues), kept between detector invocations so a status flips only after enough agree.
 */
export interface RegionalDetectorRecord {
  workloadId: string;
  regions: Record<
    string,
    {
      status: 'healthy' | 'degraded';
      streak: number;
      since: number;
      reasons: string[];
      healthIssueOpen: boolean;
    }
  >;
  updatedAt: number;
}

export interface PredictionRepository {
  /** Store the latest forecast for a workload metric, and append it to the bounded history. */
  putPrediction(prediction: Prediction): Promise<void>;
  getLatest(workloadId: string, metric: string): Promise<Prediction | undefined>;
  /** Past forecasts (newest first) that have not expired, for the feedback loop. */
  history(
    workloadId: string,
    metric: string,
    options?: { sinceMs?: number; limit?: number },
  ): Promise<Prediction[]>;
  putModelState(state: ModelStateRecord): Promise<void>;
  getModelState(workloadId: string, metric: string): Promise<ModelStateRecord | undefined>;
  putDecision(decision: ContentionDecisionRecord): Promise<void>;
  getDecision(workloadId: string): Promise<ContentionDecisionRecord | undefined>;
  /** Refuses (ConflictError) a record older than the stored one. */
  putRegionalState(record: RegionalDetectorRecord): Promise<void>;
  getRegionalState(workloadId: string): Promise<RegionalDetectorRecord | undefined>;
}

export interface SignalRepository {
  /** Idempotent on signalId: the same signal written twice is stored once. */
  put(signal: Signal): Promise<void>;
  /** Signals for a workload (its own and those of its tags) overlapping [fromMs, toMs). */
  forWorkload(workloadId: string, tags: readonly string[], fromMs: number, toMs: number): Promise<Signal[]>;
  byTag(tag: string, fromMs: number, toMs: number): Promise<Signal[]>;
}

export interface OperationRepository {
  /** Create if absent; returns the existing one when the id is already there (rerun). */
  createOrGet(operation: Operation): Promise<Operation>;
  get(operationId: string): Promise<Operation | undefined>;
  /** Append a step (and optionally the verified weights) with a conditional write on version. */
  appendStep(operationId: string, step: OperationStep, verifiedWeights?: TrafficWeights): Promise<Operation>;
  finish(
    operationId: string,
    status: Exclude<OperationStatus, 'running'>,
    error?: { name: string; message: string },
  ): Promise<Operation>;
  listByWorkload(workloadId: string, options?: { limit?: number; cursor?: string }): Promise<Page<Operation>>;
  listRecent(options?: { limit?: number; cursor?: string }): Promise<Page<Operation>>;

  /** Acquire the workload lease if free, expired, or already held by `holder`; LeaseHeldError otherwise. */
  acquireLease(workloadId: string, holder: string, ttlMs: number): Promise<Lease>;
  renewLease(workloadId: string, holder: string, ttlMs: number): Promise<Lease>;
  /** Release if held by `holder`; no-op when already free or held by nobody. */
  releaseLease(workloadId: string, holder: string): Promise<void>;
  getLease(workloadId: string): Promise<Lease | undefined>;
}

export interface Repositories {
  workloads: WorkloadRepository;
  predictions: PredictionRepository;
  signals: SignalRepository;
  operations: OperationRepository;
}
