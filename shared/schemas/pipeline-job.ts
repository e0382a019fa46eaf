import { z } from 'zod';
import { BuildStartRequest } from './builds';

/**
 * The event CodePipeline sends a Lambda invoke action's function
 * (https://docs.aws.amazon.com/codepipeline/latest/userguide/actions-invoke-lambda-function.html,
 * "Example JSON event"). Only what the broker reads is checked; the rest (artifacts, and the
 * artifact credentials, which must never be logged) is kept as CodePipeline sent it.
 */
export const PipelineJobEvent = z.object({
  'CodePipeline.job': z.looseObject({
    id: z.string().min(1).max(128),
    accountId: z.string().optional(),
    data: z.looseObject({
      actionConfiguration: z.looseObject({
        configuration: z.looseObject({
          FunctionName: z.string().optional(),
          UserParameters: z.string().optional(),
        }),
      }),
      /**
       * Present when CodePipeline re-invokes the function for a job it reported as continuing;
       * absent (or null, read as absent) on the first invocation.
       */
      continuationToken: z
        .string()
        .min(1)
        .max(2048)
        .nullish()
        .transform((t) => t ?? undefined),
    }),
  }),
});
export type PipelineJobEvent = z.infer<typeof PipelineJobEvent>;

/** Just the job id, so that a job whose event is otherwise malformed can still be failed. */
export const PipelineJobId = z.object({ 'CodePipeline.job': z.object({ id: z.string().min(1).max(128) }) });

/**
 * The action's `UserParameters` (a JSON string; CodePipeline resolves `#{Namespace.Variable}` in
 * it before invoking): a build start request without the run id, which is the job's own. The
 * pipeline and stage name the profile the run is learnt into.
 */
export const PipelineJobParameters = BuildStartRequest.omit({ runId: true });
export type PipelineJobParameters = z.infer<typeof PipelineJobParameters>;

/** What the function hands itself through CodePipeline between invocations of one action. */
export const JobContinuation = z
  .object({
    v: z.literal(1),
    pipeline: z.string().min(1).max(256),
    stage: z.string().min(1).max(256),
    runId: z.string().min(1).max(512),
    buildId: z.string().min(1).max(700),
    computeType: z.string().min(1).max(64),
  })
  .strict();
export type JobContinuation = z.infer<typeof JobContinuation>;
