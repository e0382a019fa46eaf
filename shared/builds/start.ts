import { createHash } from 'node:crypto';
import { ConfigError } from '../errors';
import type { BuildVariable, SizedBuildRequest } from '../ports/builds';
import type { Allocation } from './broker';

/**
 * The environment type the broker's CodeBuild sizes run on. The price table (prices.ts) holds the
 * Linux x86 `BUILD_GENERAL1_*` on-demand types, which run on `LINUX_CONTAINER`; a project set up
 * for another environment (Lambda compute, a reserved fleet's, Windows) would refuse those compute
 * types, so the broker asks for the environment it priced rather than fail the start.
 */
export const SIZED_ENVIRONMENT_TYPE = 'LINUX_CONTAINER';

/**
 * The idempotency token of one run's build: a digest of (pipeline, stage, run), so any retry of
 * the same run, by whatever caller, presents the same token. Hex keeps it free of the characters
 * the parts may hold.
 */
export function buildToken(pipeline: string, stage: string, runId: string): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([pipeline, stage, runId]))
    .digest('hex');
  return `shadowscale-${digest.slice(0, 48)}`;
}

/** The StartBuild request for a run's allocation. ConfigError when the allocation is not a CodeBuild size. */
export function sizedBuildRequest(
  allocation: Allocation,
  run: {
    projectName: string;
    pipeline: string;
    stage: string;
    runId: string;
    sourceVersion?: string;
    environmentVariables: readonly BuildVariable[];
  },
): SizedBuildRequest {
  const computeType = allocation.codebuild?.computeTypeOverride;
  if (!computeType || allocation.codebuild?.useReservedFleet)
    throw new ConfigError(
      `allocation ${allocation.id} of ${run.pipeline}/${run.stage}/${run.runId} is not an on-demand CodeBuild size`,
    );
  return {
    projectName: run.projectName,
    computeType,
    environmentType: SIZED_ENVIRONMENT_TYPE,
    idempotencyToken: buildToken(run.pipeline, run.stage, run.runId),
    ...(run.sourceVersion !== undefined ? { sourceVersion: run.sourceVersion } : {}),
    environmentVariables: run.environmentVariables,
  };
}
