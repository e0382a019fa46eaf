import {
  type CodePipelineClient,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import { ConfigError, ConflictError, NotFoundError, ValidationError } from '../errors';
import type { PipelineJobFailure, PipelineJobReporter, PipelineJobSuccess } from '../ports/builds';
import { awsFailure } from './common';

/** CodePipeline's limits on what a worker reports (PutJobSuccessResult / PutJobFailureResult API reference). */
const SUMMARY_MAX = 2048;
const MESSAGE_MAX = 5000;
const EXTERNAL_ID_MAX = 1500;

/**
 * Reports a Lambda invoke action's job to CodePipeline. The client comes from the caller (module
 * scope in the Lambda), configured by the environment only (`AWS_REGION`, `AWS_ENDPOINT_URL`).
 * https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_PutJobSuccessResult.html
 */
export class CodePipelineJobReporter implements PipelineJobReporter {
  constructor(private readonly client: () => CodePipelineClient) {}

  async succeed(jobId: string, result: PipelineJobSuccess): Promise<void> {
    try {
      await this.client().send(
        new PutJobSuccessResultCommand({
          jobId,
          executionDetails: {
            summary: clip(result.summary, SUMMARY_MAX),
            ...(result.externalExecutionId !== undefined
              ? { externalExecutionId: clip(result.externalExecutionId, EXTERNAL_ID_MAX) }
              : {}),
          },
          ...(result.continuationToken !== undefined ? { continuationToken: result.continuationToken } : {}),
          ...(result.outputVariables !== undefined && result.continuationToken === undefined
            ? { outputVariables: { ...result.outputVariables } }
            : {}),
        }),
      );
    } catch (error) {
      throw jobReportFailure(error, 'PutJobSuccessResult', jobId);
    }
  }

  async fail(jobId: string, failure: PipelineJobFailure): Promise<void> {
    try {
      await this.client().send(
        new PutJobFailureResultCommand({
          jobId,
          failureDetails: {
            type: failure.type,
            message: clip(failure.message, MESSAGE_MAX),
            ...(failure.externalExecutionId !== undefined
              ? { externalExecutionId: clip(failure.externalExecutionId, EXTERNAL_ID_MAX) }
              : {}),
          },
        }),
      );
    } catch (error) {
      throw jobReportFailure(error, 'PutJobFailureResult', jobId);
    }
  }
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * CodePipeline's job errors as the product's named errors. `InvalidJobStateException`: the job
 * is no longer open (reported already, by an earlier delivery of the same invocation, or timed
 * out), a ConflictError the caller treats as "nothing left to report".
 */
export function jobReportFailure(error: unknown, call: string, jobId: string): Error {
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  const what = `${call} of job ${JSON.stringify(jobId)}`;
  switch (name) {
    case 'InvalidJobStateException':
      return new ConflictError(`${what}: the job is no longer open (${message})`, { cause: error });
    case 'JobNotFoundException':
      return new NotFoundError(`${what}: no such job (${message})`, { cause: error });
    case 'ValidationException':
    case 'OutputVariablesSizeExceededException':
      return new ValidationError(`${what}: CodePipeline refused the report: ${message}`, [], {
        cause: error,
      });
    case 'AccessDeniedException':
      return new ConfigError(`${what}: not allowed (${message})`, { cause: error });
    default:
      return awsFailure(error, what);
  }
}
