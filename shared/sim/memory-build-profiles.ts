import type { Clock } from '../clock';
import { ConflictError, NotFoundError } from '../errors';
import type { AllocationRecord, BuildProfileStore, StartedBuild, StoredProfile } from '../ports/builds';

/** The build profile store in memory (the local run and the tests), with the same contract. */
export class MemoryBuildProfileStore implements BuildProfileStore {
  readonly profiles = new Map<string, StoredProfile>();
  readonly allocations = new Map<string, AllocationRecord>();
  constructor(private readonly clock: Clock) {}

  async getProfile(pipeline: string, stage: string): Promise<StoredProfile | undefined> {
    const p = this.profiles.get(`${pipeline}#${stage}`);
    return p ? structuredClone(p) : undefined;
  }
  async putProfile(profile: StoredProfile, expectedVersion: number): Promise<void> {
    const key = `${profile.pipeline}#${profile.stage}`;
    const current = this.profiles.get(key)?.version ?? 0;
    if (current !== expectedVersion)
      throw new ConflictError(
        `build profile ${profile.pipeline}/${profile.stage} changed (expected version ${expectedVersion})`,
      );
    this.profiles.set(key, structuredClone({ ...profile, version: expectedVersion + 1 }));
  }
  async putAllocation(record: AllocationRecord): Promise<AllocationRecord> {
    const key = `${record.pipeline}#${record.stage}#${record.runId}`;
    const existing = this.allocations.get(key);
    if (existing && existing.ttl * 1000 > this.clock.now()) return structuredClone(existing);
    this.allocations.set(key, structuredClone(record));
    return record;
  }
  async getAllocation(pipeline: string, stage: string, runId: string): Promise<AllocationRecord | undefined> {
    const r = this.allocations.get(`${pipeline}#${stage}#${runId}`);
    return r && r.ttl * 1000 > this.clock.now() ? structuredClone(r) : undefined;
  }
  async setAdjustment(
    pipeline: string,
    stage: string,
    runId: string,
    adjustment: NonNullable<AllocationRecord['adjustment']>,
  ): Promise<void> {
    const r = this.allocations.get(`${pipeline}#${stage}#${runId}`);
    if (r) r.adjustment = structuredClone(adjustment);
  }
  async setBuild(pipeline: string, stage: string, runId: string, build: StartedBuild): Promise<StartedBuild> {
    const r = this.allocations.get(`${pipeline}#${stage}#${runId}`);
    if (!r || r.ttl * 1000 <= this.clock.now())
      throw new NotFoundError(
        `no allocation for ${pipeline}/${stage}/${runId} to record build ${build.id} on`,
      );
    r.build ??= structuredClone(build);
    return structuredClone(r.build);
  }
}
