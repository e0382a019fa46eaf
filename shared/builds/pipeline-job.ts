import type { BuildState, PipelineJobFailure, PipelineJobSuccess } from '../ports/builds';
import type { JobContinuation } from '../schemas/pipeline-job';

/**
 * The decisions of the CodePipeline invoke action that runs a broker-sized build: what to report
 * for a build's status, and for an error of ours. Pure; the I/O is in
 * functions/build-broker/pipeline-job.ts.
 */

export type JobStep =
  | { outcome: 'continue' | 'succeeded'; success: PipelineJobSuccess }
  | { outcome: 'failed'; failure: PipelineJobFailure };

/** CodePipeline hands the token back verbatim: compact JSON, well under its 2048 characters. */
export function continuationTokenOf(run: Omit<JobContinuation, 'v'>): string {
  return JSON.stringify({ v: 1, ...run } satisfies JobContinuation);
}

function describeBuild(run: JobContinuation): string {
  return `CodeBuild build ${run.buildId} on ${run.computeType} (sized by the broker for ${run.pipeline}/${run.stage})`;
}

/** The report for a build just started (or found started): keep the action running. */
export function startedStep(run: JobContinuation, action: 'started' | 'already-started'): JobStep {
  return {
    outcome: 'continue',
    success: {
      continuationToken: continuationTokenOf(run),
      summary: `${describeBuild(run)} ${action === 'started' ? 'started' : 'was already started'}`,
      externalExecutionId: run.buildId,
    },
  };
}

/** The report for the build's status: running → continue, SUCCEEDED → done, any other end → failed. */
export function stepOfBuild(run: JobContinuation, build: BuildState): JobStep {
  const phase = build.phase ? ` in phase ${build.phase}` : '';
  switch (build.status) {
    case 'IN_PROGRESS':
      return {
        outcome: 'continue',
        success: {
          continuationToken: continuationTokenOf(run),
          summary: `${describeBuild(run)} running${phase}`,
          externalExecutionId: run.buildId,
        },
      };
    case 'SUCCEEDED':
      return {
        outcome: 'succeeded',
        success: {
          summary: `${describeBuild(run)} succeeded`,
          externalExecutionId: run.buildId,
          outputVariables: { BuildId: run.buildId, ComputeType: run.computeType },
        },
      };
    case 'FAILED':
    case 'FAULT':
    case 'TIMED_OUT':
    case 'STOPPED':
      return {
        outcome: 'failed',
        failure: {
          type: 'JobFailed',
          message: `${describeBuild(run)} ended ${build.status}${phase}`,
          externalExecutionId: run.buildId,
        },
      };
    default: {
      const unknown: never = build.status;
      throw new Error(`unknown build status ${String(unknown)}`);
    }
  }
}

/**
 * While polling, a status that could not be read for a passing reason (throttling, a 5xx) is no
 * news about the build: keep the action running and look again on the next invocation.
 */
export function unreadStep(run: JobContinuation, reason: string): JobStep {
  return {
    outcome: 'continue',
    success: {
      continuationToken: continuationTokenOf(run),
      summary: `${describeBuild(run)}: status not read (${reason}), looking again`,
      externalExecutionId: run.buildId,
    },
  };
}

/**
 * The failure to report for an error of ours, by the product's error names: input and
 * configuration (ValidationError, NotFoundError, ConfigError) are the action's configuration;
 * TransientError is AWS being unavailable; anything else failed the job.
 */
export function failureOfError(error: unknown, externalExecutionId?: string): PipelineJobFailure {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const type: PipelineJobFailure['type'] =
    name === 'ValidationError' || name === 'NotFoundError' || name === 'ConfigError'
      ? 'ConfigurationError'
      : name === 'TransientError'
        ? 'SystemUnavailable'
        : 'JobFailed';
  return {
    type,
    message: `${name}: ${message}`,
    ...(externalExecutionId !== undefined ? { externalExecutionId } : {}),
  };
}
