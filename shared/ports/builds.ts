import type { Allocation } from '../builds/broker';
import type { ProfileState } from '../builds/predictor';

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
  /** Latest adjustment decided during the run. */
  adjustment?: { at: number; action: string; vcpu: number; reason: string };
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
}
