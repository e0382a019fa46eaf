import {
  failureOfError,
  type JobStep,
  startedStep,
  stepOfBuild,
  unreadStep,
} from '../../shared/builds/pipeline-job';
import { ConflictError, TransientError, ValidationError } from '../../shared/errors';
import type { BuildStatusReader, PipelineJobReporter } from '../../shared/ports/builds';
import {
  JobContinuation,
  PipelineJobEvent,
  PipelineJobId,
  PipelineJobParameters,
} from '../../shared/schemas/pipeline-job';
import { parseOrThrow } from '../../shared/validation';
import { type StarterDeps, startSizedBuild } from './core';

/**
 * A CodePipeline Lambda invoke action that runs a CodeBuild build on the size the broker
 * allocates (CodePipeline's own CodeBuild action cannot override the compute type). The
 * long-running job pattern: the first invocation starts the build with `startSizedBuild` and
 * reports success with a continuation token naming it; CodePipeline invokes the function again
 * (as a new job) with that token until a report comes without one, or a failure.
 * https://docs.aws.amazon.com/codepipeline/latest/userguide/actions-invoke-lambda-function.html
 *
 * The run id is the first invocation's job id: CodePipeline's invoke event names neither the
 * pipeline execution nor the stage, and a redelivered invocation carries the same job id, so it
 * finds the build already started. A retried action is a new job, and a new build.
 */

export interface PipelineJobDeps extends StarterDeps {
  statuses: BuildStatusReader;
  jobs: PipelineJobReporter;
}

export interface PipelineJobResult {
  jobId: string;
  outcome: JobStep['outcome'];
  /** False when CodePipeline already had this job's result (a redelivered invocation). */
  reported: boolean;
  pipeline?: string;
  stage?: string;
  runId?: string;
  buildId?: string;
  computeType?: string;
  /** This invocation started the build. */
  started?: boolean;
  /** What was reported (summary or failure message). */
  message: string;
}

type Run = Omit<JobContinuation, 'v'> & { started?: boolean };

/**
 * Run one invocation of the action and report it to CodePipeline. Every error of ours is
 * reported as the job's failure; this throws only when the event names no job, or the report
 * itself failed (the asynchronous invocation is then retried, and reports again).
 */
export async function runPipelineJob(event: unknown, deps: PipelineJobDeps): Promise<PipelineJobResult> {
  const jobId = parseOrThrow(PipelineJobId, event, 'CodePipeline job event')['CodePipeline.job'].id;
  let run: Run | undefined;
  let step: JobStep;
  try {
    const { data } = parseOrThrow(PipelineJobEvent, event, 'CodePipeline job event')['CodePipeline.job'];
    if (data.continuationToken === undefined) {
      const { started, ...startedRun } = await startBuild(
        jobId,
        data.actionConfiguration.configuration.UserParameters,
        deps,
      );
      run = { ...startedRun, started };
      step = startedStep({ v: 1, ...startedRun }, started ? 'started' : 'already-started');
    } else {
      const polled = continuationOf(data.continuationToken);
      run = polled;
      step = await pollBuild({ v: 1, ...polled }, deps);
    }
  } catch (error) {
    step = { outcome: 'failed', failure: failureOfError(error, run?.buildId) };
  }
  const reported = await report(jobId, step, deps);
  return {
    jobId,
    outcome: step.outcome,
    reported,
    ...(run
      ? {
          pipeline: run.pipeline,
          stage: run.stage,
          runId: run.runId,
          buildId: run.buildId,
          computeType: run.computeType,
        }
      : {}),
    ...(run?.started !== undefined ? { started: run.started } : {}),
    message: step.outcome === 'failed' ? step.failure.message : step.success.summary,
  };
}

async function startBuild(
  jobId: string,
  userParameters: string | undefined,
  deps: PipelineJobDeps,
): Promise<Run & { started: boolean }> {
  const params = parseOrThrow(PipelineJobParameters, parseJson(userParameters), 'UserParameters');
  const result = await startSizedBuild({ ...params, runId: jobId }, deps);
  return {
    pipeline: result.pipeline,
    stage: result.stage,
    runId: result.runId,
    buildId: result.buildId,
    computeType: result.computeType,
    started: result.action === 'started',
  };
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined || text.trim() === '')
    throw new ValidationError(
      'UserParameters: field `UserParameters` missing: the action needs a JSON object with projectName, pipeline and stage',
      [{ path: 'UserParameters', message: 'missing' }],
    );
  return jsonOf(text, 'UserParameters');
}

function continuationOf(token: string): Omit<JobContinuation, 'v'> {
  const { v: _v, ...run } = parseOrThrow(
    JobContinuation,
    jsonOf(token, 'continuationToken'),
    'continuationToken',
  );
  return run;
}

/** `text` parsed, or a ValidationError naming the field and showing the start of its value. */
function jsonOf(text: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError(
      `${field}: field \`${field}\` = ${JSON.stringify(text.slice(0, 200))}: not JSON (${error instanceof Error ? error.message : String(error)})`,
      [{ path: field, message: 'not JSON', received: text }],
      { cause: error },
    );
  }
}

async function pollBuild(run: JobContinuation, deps: PipelineJobDeps): Promise<JobStep> {
  try {
    return stepOfBuild(run, await deps.statuses.status(run.buildId));
  } catch (error) {
    if (error instanceof TransientError) return unreadStep(run, error.message);
    throw error;
  }
}

/** True when reported; false when CodePipeline already had the job's result (ConflictError). */
async function report(jobId: string, step: JobStep, deps: PipelineJobDeps): Promise<boolean> {
  try {
    if (step.outcome === 'failed') await deps.jobs.fail(jobId, step.failure);
    else await deps.jobs.succeed(jobId, step.success);
    return true;
  } catch (error) {
    if (error instanceof ConflictError) return false;
    throw error;
  }
}
