import type { Allocation } from '../builds/broker';
import type { ProfileState } from '../builds/predictor';
import type { RunContext } from '../schemas/builds';

/** The stored profile of one stage, versioned for optimistic concurrency. */
export interface StoredProfile {
  pipeline: string;
  stage: string;
  state: ProfileState;
  /** 0 when the profile does not exist yet. */
  version: number;
  /** Run ids already absorbed (newest last, bounded): a redelivered end event is absorbed once. */
  absorbed: string[];
  updatedAt: number;
}

/** The allocation decided for one run of a stage (a transient record with a TTL). */
export interface AllocationRecord {
  pipeline: string;
  stage: string;
  runId: string;
  startedAt: number;
  allocation: Allocation;
  /** Work quantiles the allocation was planned on. */
  planned: { q10: number; q50: number; q80: number; q90: number } | null;
  parallelFraction: number;
  deadlineSeconds: number;
  /**
   * What the run's prediction read besides its start time (shared/builds/run-context.ts), kept so
   * the run's end is learnt with the same inputs. Absent on records written before it was kept.
   */
  runContext?: RunContext;
  /** Latest adjustment decided during the run. */
  adjustment?: { at: number; action: string; vcpu: number; reason: string };
  /** The build the broker started for this run itself (direct invocation), once started. */
  build?: StartedBuild;
  /** Epoch seconds after which the record may be deleted. */
  ttl: number;
}

export interface BuildProfileStore {
  getProfile(pipeline: string, stage: string): Promise<StoredProfile | undefined>;
  /** Write if the stored version is `expectedVersion` (0: absent); ConflictError otherwise. */
  putProfile(profile: StoredProfile, expectedVersion: number): Promise<void>;
  /** Create the run's allocation; returns the existing record when it is already there (redelivery). */
  putAllocation(record: AllocationRecord): Promise<AllocationRecord>;
  getAllocation(pipeline: string, stage: string, runId: string): Promise<AllocationRecord | undefined>;
  setAdjustment(
    pipeline: string,
    stage: string,
    runId: string,
    adjustment: NonNullable<AllocationRecord['adjustment']>,
  ): Promise<void>;
  /**
   * Record the build started for the run on its allocation, first writer wins: returns the build
   * recorded (this one, or the one an earlier invocation recorded). NotFoundError when the run has
   * no (unexpired) allocation.
   */
  setBuild(pipeline: string, stage: string, runId: string, build: StartedBuild): Promise<StartedBuild>;
}

/** One environment variable override of a build (CodeBuild's `EnvironmentVariable`). */
export interface BuildVariable {
  name: string;
  value: string;
  type: 'PLAINTEXT' | 'PARAMETER_STORE' | 'SECRETS_MANAGER';
}

/** What the broker asks CodeBuild for: one build of a project on the size it allocated. */
export interface SizedBuildRequest {
  projectName: string;
  /** `BUILD_GENERAL1_*`, the allocation's `computeTypeOverride`. */
  computeType: string;
  /** The environment type that compute type runs on (`environmentTypeOverride`). */
  environmentType: string;
  /**
   * Same token, same build: CodeBuild returns the build already started with it for five minutes
   * (https://docs.aws.amazon.com/codebuild/latest/APIReference/API_StartBuild.html).
   */
  idempotencyToken: string;
  sourceVersion?: string;
  environmentVariables: readonly BuildVariable[];
}

export interface StartedBuild {
  /** CodeBuild's build id, `<project>:<uuid>`. */
  id: string;
  arn?: string;
  projectName: string;
  computeType: string;
  /** Epoch ms at which the broker recorded the start. */
  startedAt: number;
}

/**
 * Starts CodeBuild builds (`StartBuild`). Throws NotFoundError for an unknown project,
 * TransientError for throttling and limits (retry with backoff), ConfigError when the role may
 * not start the project, ValidationError when CodeBuild refuses the request's values.
 */
export interface BuildStarter {
  start(request: SizedBuildRequest): Promise<Omit<StartedBuild, 'startedAt'>>;
}

/** CodeBuild's build statuses (`Build.buildStatus`). */
export const BUILD_STATUSES = [
  'IN_PROGRESS',
  'SUCCEEDED',
  'FAILED',
  'FAULT',
  'TIMED_OUT',
  'STOPPED',
] as const;
export type BuildStatus = (typeof BUILD_STATUSES)[number];

/** What a running or finished build looks like to the broker. */
export interface BuildState {
  id: string;
  status: BuildStatus;
  /** The phase the build is in (or ended in), e.g. `BUILD`, when CodeBuild says. */
  phase?: string;
}

/**
 * Reads a build's status (`BatchGetBuilds`). Throws NotFoundError when CodeBuild does not know
 * the build, TransientError for throttling, ConfigError when the role may not read it.
 */
export interface BuildStatusReader {
  status(buildId: string): Promise<BuildState>;
}

/** The progress a job worker reports on a CodePipeline job that is not over (or succeeded). */
export interface PipelineJobSuccess {
  /** Present: the action is still running, and CodePipeline invokes the worker again with it. */
  continuationToken?: string;
  summary: string;
  /** The id of the work outside CodePipeline (the build id), shown on the action. */
  externalExecutionId?: string;
  /** Only on the final success (CodePipeline refuses them beside a continuation token). */
  outputVariables?: Readonly<Record<string, string>>;
}

/** CodePipeline's `FailureType` values a worker reports. */
export type PipelineJobFailureType =
  | 'JobFailed'
  | 'ConfigurationError'
  | 'PermissionError'
  | 'SystemUnavailable';

export interface PipelineJobFailure {
  type: PipelineJobFailureType;
  message: string;
  externalExecutionId?: string;
}

/**
 * Reports the outcome of a CodePipeline job to CodePipeline (`PutJobSuccessResult`,
 * `PutJobFailureResult`). Throws ConflictError when the job is no longer open (already reported,
 * or timed out), NotFoundError for an unknown job, TransientError for throttling and 5xx.
 */
export interface PipelineJobReporter {
  succeed(jobId: string, result: PipelineJobSuccess): Promise<void>;
  fail(jobId: string, failure: PipelineJobFailure): Promise<void>;
}
