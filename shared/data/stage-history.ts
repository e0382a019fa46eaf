import { z } from 'zod';

/**
 * The history of pipeline stages and builds, one record per execution of a CodePipeline stage or
 * action, or per CodeBuild build, built from their EventBridge state-change events
 * (shared/pipeline/events.ts). What a per-stage predictor (duration, queue time, outcome) learns
 * from. Records are keyed for a future `stage-history` table as:
 *
 * | attribute | value |
 * |---|---|
 * | `pk` | `pipeline#<pipeline>#<stage>` (stage), `pipeline#<pipeline>#<stage>#<action>` (action), `build#<project>` (build) |
 * | `sk` | `<execution id>` (CodePipeline) or `<build id>` (CodeBuild) |
 *
 * A record is updated by every event of the same execution (STARTED, then SUCCEEDED/FAILED/...)
 * with `applyStageEvent` (pure), so applying the same event twice gives the same record and
 * events arriving out of order (EventBridge does not order them) still give the same end state.
 */
export const StageRunKind = z.enum(['pipeline-stage', 'pipeline-action', 'build']);

export const StageRunRecord = z.strictObject({
  kind: StageRunKind,
  /** `pipeline#...` or `build#...`, see above. */
  pk: z.string().min(1),
  sk: z.string().min(1),
  /** Pipeline name, or the CodeBuild project name for a build. */
  pipeline: z.string().min(1),
  /** Stage name; for a build, the project name again. */
  stage: z.string().min(1),
  action: z.string().min(1).optional(),
  /** CodePipeline execution id, or the CodeBuild build id (ARN). */
  executionId: z.string().min(1),
  region: z.string().min(1),
  account: z.string().regex(/^\d{12}$/),
  /** Last state seen: STARTED, SUCCEEDED, FAILED, IN_PROGRESS, STOPPED, ... as AWS names it. */
  state: z.string().min(1),
  /** SUCCEEDED / FAILED / STOPPED / CANCELED / ... once the run has ended; absent while it runs. */
  result: z.string().min(1).optional(),
  /** Epoch ms when the stage, action or build started (the event time of STARTED, or the build start). */
  startedAt: z.number().int().nonnegative(),
  endedAt: z.number().int().nonnegative().optional(),
  durationSeconds: z.number().nonnegative().optional(),
  /** Builds: seconds spent in the QUEUED phase before a build host took it. */
  queuedSeconds: z.number().nonnegative().optional(),
  /** Builds: seconds per completed phase (DOWNLOAD_SOURCE, BUILD, ...). */
  phases: z.record(z.string(), z.number().nonnegative()).optional(),
  /** Action provider (CodeBuild, ECS, StepFunctions, ...), for actions. */
  provider: z.string().min(1).optional(),
  /** Id of the last event applied (EventBridge `id`). */
  lastEventId: z.string().min(1),
  updatedAt: z.number().int().nonnegative(),
});
export type StageRunRecord = z.infer<typeof StageRunRecord>;
