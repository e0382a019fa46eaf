import {
  BatchGetBuildsCommand,
  type BatchGetBuildsCommandOutput,
  type CodeBuildClient,
} from '@aws-sdk/client-codebuild';
import { ConfigError, NotFoundError, ValidationError } from '../errors';
import { BUILD_STATUSES, type BuildState, type BuildStatusReader } from '../ports/builds';
import { awsFailure } from './common';

/**
 * Reads one build's status with `BatchGetBuilds`. The client comes from the caller (module scope
 * in the Lambda), configured by the environment only (`AWS_REGION`, `AWS_ENDPOINT_URL`).
 * https://docs.aws.amazon.com/codebuild/latest/APIReference/API_BatchGetBuilds.html
 */
export class CodeBuildStatusReader implements BuildStatusReader {
  constructor(private readonly client: () => CodeBuildClient) {}

  async status(buildId: string): Promise<BuildState> {
    const what = `BatchGetBuilds of build ${JSON.stringify(buildId)}`;
    let out: BatchGetBuildsCommandOutput;
    try {
      out = await this.client().send(new BatchGetBuildsCommand({ ids: [buildId] }));
    } catch (error) {
      if (error instanceof Error && error.name === 'AccessDeniedException')
        throw new ConfigError(
          `${what}: not allowed; the build's project must be in shadowscale:managed.buildProjects (${error.message})`,
          { cause: error },
        );
      throw awsFailure(error, what);
    }
    const build = out.builds?.find((b) => b.id === buildId);
    if (!build) throw new NotFoundError(`${what}: CodeBuild does not know the build`);
    const status = BUILD_STATUSES.find((s) => s === build.buildStatus);
    if (status === undefined)
      throw new ValidationError(`${what}: unknown build status ${JSON.stringify(build.buildStatus)}`, [
        { path: 'buildStatus', message: 'unknown value', received: build.buildStatus },
      ]);
    return {
      id: buildId,
      status,
      ...(build.currentPhase ? { phase: build.currentPhase } : {}),
    };
  }
}
