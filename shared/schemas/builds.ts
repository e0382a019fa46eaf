import { z } from 'zod';

/**
 * Inbound events of the build broker, as AWS documents them: EventBridge events from CodePipeline
 * ("CodePipeline Stage Execution State Change") and CodeBuild ("CodeBuild Build State Change",
 * "CodeBuild Build Phase Change"), and the direct request a Step Functions workflow sends before
 * it runs an ECS task. Unknown extra fields are allowed: AWS adds fields over time.
 */

const envelope = {
  version: z.string(),
  id: z.string().min(1),
  account: z.string(),
  time: z.iso.datetime({ offset: true }),
  region: z.string().min(1),
  resources: z.array(z.string()),
};

export const PIPELINE_STAGE_STATES = [
  'STARTED',
  'SUCCEEDED',
  'RESUMED',
  'FAILED',
  'CANCELED',
  'STOPPED',
  'STOPPING',
] as const;

export const PipelineStageEvent = z.object({
  ...envelope,
  source: z.literal('aws.codepipeline'),
  'detail-type': z.literal('CodePipeline Stage Execution State Change'),
  detail: z.object({
    pipeline: z.string().min(1),
    'execution-id': z.string().min(1),
    stage: z.string().min(1),
    state: z.enum(PIPELINE_STAGE_STATES),
    version: z.union([z.string(), z.number()]).optional(),
  }),
});
export type PipelineStageEvent = z.infer<typeof PipelineStageEvent>;

const phase = z.object({
  'phase-type': z.string(),
  'phase-status': z.string().optional(),
  'duration-in-seconds': z.number().nonnegative().optional(),
});

export const CodeBuildStateEvent = z.object({
  ...envelope,
  source: z.literal('aws.codebuild'),
  'detail-type': z.literal('CodeBuild Build State Change'),
  detail: z.object({
    'build-status': z.enum(['IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'STOPPED', 'FAULT', 'TIMED_OUT']),
    'project-name': z.string().min(1),
    'build-id': z.string().min(1),
    'additional-information': z
      .object({
        environment: z
          .object({
            'compute-type': z.string(),
            'environment-variables': z.array(
              z.object({ name: z.string(), value: z.string().optional(), type: z.string().optional() }),
            ),
          })
          .partial()
          .optional(),
        phases: z.array(phase).optional(),
        /** Where the build's source comes from (`S3`, `GITHUB`, `CODECOMMIT`, `CODEPIPELINE`…). */
        source: z.object({ type: z.string(), location: z.string() }).partial().optional(),
        /**
         * The version built: for git sources a commit id, a branch or tag name, a ref
         * (`refs/heads/main`, `refs/pull/1/head`, optionally `^{sha}`), or `pr/123` for a webhook's
         * pull-request build; for S3 the object's version id.
         */
        'source-version': z.string().optional(),
      })
      .optional(),
  }),
});
export type CodeBuildStateEvent = z.infer<typeof CodeBuildStateEvent>;

export const CodeBuildPhaseEvent = z.object({
  ...envelope,
  source: z.literal('aws.codebuild'),
  'detail-type': z.literal('CodeBuild Build Phase Change'),
  detail: z.object({
    'completed-phase': z.string(),
    'completed-phase-status': z.string().optional(),
    'completed-phase-duration-seconds': z.number().nonnegative().optional(),
    'project-name': z.string().min(1),
    'build-id': z.string().min(1),
  }),
});
export type CodeBuildPhaseEvent = z.infer<typeof CodeBuildPhaseEvent>;

/**
 * What is known of a run when it starts besides its time: the stage profile predictor's optional
 * inputs (`StageRunInput` in shared/builds/predictor.ts), under the same names. A caller that knows
 * them passes them as `runContext`; every field may be left out, and the predictor then does
 * without it.
 */
export const RunContext = z
  .object({
    /** What is being built, shared by reruns of one change: a branch or pull request (`pr/123`). */
    changeKey: z.string().min(1).max(256).optional(),
    /** Trigger and the branch built on or merged into, e.g. `pr:main`, `push:release-2.x`. */
    lane: z
      .string()
      .max(256)
      .regex(/^[a-z][a-z0-9_-]*:[^\s]+$/, 'must be `<trigger>:<branch>`, e.g. `pr:main` or `push:main`')
      .optional(),
    /** `shadowscale change-score` of the change (log2-scaled, 0 for no change). */
    changeScore: z.number().nonnegative().max(64).optional(),
    /** Parallel jobs or shards the run is split into. */
    jobs: z.number().int().positive().max(10_000).optional(),
  })
  .strict();
export type RunContext = z.infer<typeof RunContext>;

/** What a Step Functions workflow sends (Lambda invoke) before running an ECS task. */
export const WorkflowTaskRequest = z
  .object({
    kind: z.literal('ecs-task'),
    /** The workflow (state machine) name. */
    workflow: z.string().min(1),
    /** The task (state) name. */
    task: z.string().min(1),
    /** The execution, so the end report can find this allocation. */
    runId: z.string().min(1),
    interruptible: z.boolean().default(false),
    minMemoryGb: z.number().positive().optional(),
    deadlineSeconds: z.number().positive().optional(),
    budgetUsd: z.number().nonnegative().optional(),
    runContext: RunContext.optional(),
  })
  .strict();
export type WorkflowTaskRequest = z.infer<typeof WorkflowTaskRequest>;

/** A workflow reporting that its task ended (the feedback for ECS tasks). */
export const WorkflowTaskEnded = z
  .object({
    kind: z.literal('ecs-task-ended'),
    workflow: z.string().min(1),
    task: z.string().min(1),
    runId: z.string().min(1),
    /** Wall-clock seconds the task ran. */
    durationSeconds: z.number().positive(),
  })
  .strict();
export type WorkflowTaskEnded = z.infer<typeof WorkflowTaskEnded>;

/**
 * A direct request to the broker to start a CodeBuild build on the size it allocates (a Step
 * Functions task, or any caller allowed to invoke the starter). `runId` names the run in the
 * pipeline (a CodePipeline execution id, a Step Functions execution name): one run, one build.
 */
export const BuildStartRequest = z
  .object({
    projectName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$/, 'must be a CodeBuild project name'),
    pipeline: z.string().min(1).max(256),
    stage: z.string().min(1).max(256),
    runId: z.string().min(1).max(512),
    /** Commit, branch, tag or pull request to build (`sourceVersion`). */
    sourceVersion: z.string().min(1).max(512).optional(),
    environmentVariables: z
      .array(
        z
          .object({
            name: z.string().min(1).max(256),
            value: z.string(),
            type: z.enum(['PLAINTEXT', 'PARAMETER_STORE', 'SECRETS_MANAGER']).default('PLAINTEXT'),
          })
          .strict(),
      )
      .max(100)
      .default([]),
    deadlineSeconds: z.number().positive().optional(),
    budgetUsd: z.number().nonnegative().optional(),
    /** What the predictor may know of the run; fields given here win over those read elsewhere. */
    runContext: RunContext.optional(),
  })
  .strict();
export type BuildStartRequest = z.infer<typeof BuildStartRequest>;

export const BrokerInput = z.union([PipelineStageEvent, CodeBuildStateEvent, WorkflowTaskRequest]);
export const FeedbackInput = z.union([
  PipelineStageEvent,
  CodeBuildStateEvent,
  CodeBuildPhaseEvent,
  WorkflowTaskEnded,
]);

const BY_DETAIL_TYPE: Record<string, z.ZodType> = {
  'CodePipeline Stage Execution State Change': PipelineStageEvent,
  'CodeBuild Build State Change': CodeBuildStateEvent,
  'CodeBuild Build Phase Change': CodeBuildPhaseEvent,
};
const BY_KIND: Record<string, z.ZodType> = {
  'ecs-task': WorkflowTaskRequest,
  'ecs-task-ended': WorkflowTaskEnded,
};

/**
 * The schema an input claims to follow (by `detail-type`, or `kind` for workflow calls), so a
 * validation error names the offending field of that shape rather than "matches no shape".
 * Undefined when the input claims none of them.
 */
export function schemaFor(input: unknown, allowed: readonly z.ZodType[]): z.ZodType | undefined {
  if (input === null || typeof input !== 'object') return undefined;
  const o = input as Record<string, unknown>;
  const schema =
    typeof o['detail-type'] === 'string'
      ? BY_DETAIL_TYPE[o['detail-type']]
      : typeof o.kind === 'string'
        ? BY_KIND[o.kind]
        : undefined;
  return schema && allowed.includes(schema) ? schema : undefined;
}
