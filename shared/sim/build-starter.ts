import type { Clock } from '../clock';
import { NotFoundError, ValidationError } from '../errors';
import type {
  BuildStarter,
  BuildState,
  BuildStatus,
  BuildStatusReader,
  SizedBuildRequest,
  StartedBuild,
} from '../ports/builds';

/** CodeBuild keeps an idempotency token for five minutes (StartBuild API reference). */
export const TOKEN_WINDOW_MS = 5 * 60_000;

/**
 * CodeBuild's StartBuild in memory, for the local run and the tests: known projects only, one
 * build per idempotency token within the token window (the same token with other parameters is
 * refused, as CodeBuild does), and failures injected in order. Reads the builds' statuses back
 * (`BatchGetBuilds`): a build runs until `finish` ends it.
 */
export class MemoryBuildStarter implements BuildStarter, BuildStatusReader {
  /** Every build started, oldest first. */
  readonly builds: (SizedBuildRequest & { id: string; at: number })[] = [];
  private readonly failures: Error[] = [];
  private seq = 0;
  private readonly ended = new Map<string, BuildStatus>();

  constructor(
    private readonly clock: Clock,
    private readonly projects: ReadonlySet<string>,
  ) {}

  /** The next calls throw these errors, one each, before anything else is checked. */
  failNext(...errors: Error[]): void {
    this.failures.push(...errors);
  }

  async start(request: SizedBuildRequest): Promise<Omit<StartedBuild, 'startedAt'>> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    if (!this.projects.has(request.projectName))
      throw new NotFoundError(
        `StartBuild of project ${JSON.stringify(request.projectName)}: no such project`,
      );
    const now = this.clock.now();
    const same = this.builds.find(
      (b) => b.idempotencyToken === request.idempotencyToken && now - b.at < TOKEN_WINDOW_MS,
    );
    if (same) {
      const { id: _id, at: _at, ...asked } = same;
      if (JSON.stringify(asked) !== JSON.stringify(request))
        throw new ValidationError(
          `StartBuild: idempotency token ${request.idempotencyToken} was used with other parameters`,
        );
      return { id: same.id, projectName: same.projectName, computeType: same.computeType };
    }
    this.seq += 1;
    const id = `${request.projectName}:00000000-0000-4000-8000-${String(this.seq).padStart(12, '0')}`;
    this.builds.push({ ...request, id, at: now });
    return { id, projectName: request.projectName, computeType: request.computeType };
  }

  /** End a started build with `status` (SUCCEEDED, FAILED...). */
  finish(buildId: string, status: Exclude<BuildStatus, 'IN_PROGRESS'>): void {
    if (!this.builds.some((b) => b.id === buildId))
      throw new NotFoundError(`no build ${buildId} was started`);
    this.ended.set(buildId, status);
  }

  async status(buildId: string): Promise<BuildState> {
    if (!this.builds.some((b) => b.id === buildId))
      throw new NotFoundError(
        `BatchGetBuilds of build ${JSON.stringify(buildId)}: CodeBuild does not know the build`,
      );
    return { id: buildId, status: this.ended.get(buildId) ?? 'IN_PROGRESS' };
  }
}
