import { createHash } from 'node:crypto';
import { z } from 'zod';
import { WorkloadId } from '../schemas/common';

/**
 * What a deployment is: an ECS task definition (ARN or `family:revision`) or a container image
 * URI put into the primary's task definition.
 */
export const Version = z
  .string()
  .min(1)
  .max(1_024)
  .regex(
    /^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/[A-Za-z0-9_-]{1,255}:\d+|[A-Za-z0-9_-]{1,255}:\d+|[a-z0-9.-]+(?::\d+)?\/[a-z0-9._/-]+(?::[A-Za-z0-9_.-]{1,128}|@sha256:[a-f0-9]{64}))$/,
    'must be a task definition ARN, family:revision, or an image URI with a tag or digest',
  );

/** A version that is a container image URI (a registry path with a tag or digest), not a task definition. */
export function isImageVersion(version: string): boolean {
  return !version.startsWith('arn:') && version.includes('/');
}

export const StageName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,40}$/, 'must be 1-40 chars of letters, digits, _ . -');

/**
 * Execution input of the pipeline-branch state machine. A CodePipeline Step Functions invoke
 * action, another CI or the console passes `{"workloadId", "version", "stage"}`; the rest is
 * optional. Unknown fields are an error (a typo must not be silently ignored).
 */
export const PipelineBranchInput = z.strictObject({
  workloadId: WorkloadId,
  version: Version,
  stage: StageName,
  /** `branch` / `primary`: an operator's choice over the forecast; default `auto`. */
  mode: z.enum(['auto', 'branch', 'primary']).optional(),
  /** This deployment's expected duration and bake, when the pipeline knows better than the workload. */
  deploySeconds: z.number().int().positive().max(86_400).optional(),
  bakeSeconds: z.number().int().nonnegative().max(86_400).optional(),
  /** A new attempt of a discarded deployment of the same version to the same stage. */
  attempt: z.number().int().min(1).max(99).optional(),
  /** Who started it (`codepipeline`, `console`, `cli`); informational. */
  trigger: z.string().max(64).optional(),
});
export type PipelineBranchInput = z.infer<typeof PipelineBranchInput>;

export const PipelineContext = z.strictObject({
  workloadId: WorkloadId,
  version: Version,
  stage: StageName,
  operationId: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/),
  mode: z.enum(['auto', 'branch', 'primary']),
  deploySeconds: z.number().int().positive().optional(),
  bakeSeconds: z.number().int().nonnegative().optional(),
});
export type PipelineContext = z.infer<typeof PipelineContext>;

/**
 * One operation per (workload, version, stage): the id is derived from them, so a rerun of the same
 * deployment (a retried pipeline action, a second StartExecution) finds the same operation and
 * continues it instead of deploying twice.
 */
export function deploymentOperationId(input: {
  workloadId: string;
  stage: string;
  version: string;
  attempt?: number;
}): string {
  const digest = createHash('sha256').update(input.version).digest('hex').slice(0, 12);
  const attempt = input.attempt !== undefined && input.attempt > 1 ? `-a${input.attempt}` : '';
  return `deploy-${input.workloadId}-${input.stage}-${digest}${attempt}`;
}
