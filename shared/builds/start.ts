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

/**
 * Variables the broker adds to every build it starts, naming the run it was sized for. CodeBuild
 * repeats a build's plaintext variables in its state-change events, so the end of the build is
 * absorbed into that run's stage profile, and its start is not allocated a second time.
 */
export const RUN_VARIABLES = {
  pipeline: 'SHADOWSCALE_PIPELINE',
  stage: 'SHADOWSCALE_STAGE',
  runId: 'SHADOWSCALE_RUN_ID',
} as const;

/** The run a build was started for, from its environment variables; undefined for other builds. */
export function runOfBuild(
  variables: readonly { name?: string; value?: string }[] | undefined,
): { pipeline: string; stage: string; runId: string } | undefined {
  const get = (name: string) => variables?.find((v) => v.name === name)?.value;
  const pipeline = get(RUN_VARIABLES.pipeline);
  const stage = get(RUN_VARIABLES.stage);
  const runId = get(RUN_VARIABLES.runId);
  return pipeline && stage && runId ? { pipeline, stage, runId } : undefined;
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
    environmentVariables: [
      ...run.environmentVariables.filter((v) => !Object.values<string>(RUN_VARIABLES).includes(v.name)),
      { name: RUN_VARIABLES.pipeline, value: run.pipeline, type: 'PLAINTEXT' },
      { name: RUN_VARIABLES.stage, value: run.stage, type: 'PLAINTEXT' },
      { name: RUN_VARIABLES.runId, value: run.runId, type: 'PLAINTEXT' },
    ],
  };
}
