import {
  CodePipelineClient,
  InvalidJobStateException,
  JobNotFoundException,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
  ValidationException,
} from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { CodePipelineJobReporter } from '../../../shared/aws/codepipeline-jobs';
import { ConflictError, NotFoundError, TransientError, ValidationError } from '../../../shared/errors';

const codepipeline = mockClient(CodePipelineClient);
const reporter = () => new CodePipelineJobReporter(() => new CodePipelineClient({ region: 'us-east-1' }));
const meta = { $metadata: { httpStatusCode: 400 } };

beforeEach(() => codepipeline.reset());

describe('CodePipelineJobReporter', () => {
  it('reports a continuing job with its token and the build as the external execution', async () => {
    // Prepare
    codepipeline.on(PutJobSuccessResultCommand).resolves({});
    // Act
    await reporter().succeed('job-1', {
      continuationToken: '{"v":1}',
      summary: 'build running',
      externalExecutionId: 'checkout-tests:1',
      outputVariables: { BuildId: 'ignored beside a token' },
    });
    // Assess: no output variables beside a continuation token (CodePipeline refuses them).
    expect(codepipeline.commandCalls(PutJobSuccessResultCommand).map((c) => c.args[0].input)).toEqual([
      {
        jobId: 'job-1',
        continuationToken: '{"v":1}',
        executionDetails: { summary: 'build running', externalExecutionId: 'checkout-tests:1' },
      },
    ]);
  });

  it('reports the final success with output variables and no token', async () => {
    codepipeline.on(PutJobSuccessResultCommand).resolves({});
    await reporter().succeed('job-3', {
      summary: 'build succeeded',
      externalExecutionId: 'checkout-tests:1',
      outputVariables: { BuildId: 'checkout-tests:1', ComputeType: 'BUILD_GENERAL1_LARGE' },
    });
    expect(codepipeline.commandCalls(PutJobSuccessResultCommand)[0]?.args[0].input).toEqual({
      jobId: 'job-3',
      executionDetails: { summary: 'build succeeded', externalExecutionId: 'checkout-tests:1' },
      outputVariables: { BuildId: 'checkout-tests:1', ComputeType: 'BUILD_GENERAL1_LARGE' },
    });
  });

  it('reports a failure with its type, a message within 5000 characters and the build', async () => {
    codepipeline.on(PutJobFailureResultCommand).resolves({});
    await reporter().fail('job-2', {
      type: 'JobFailed',
      message: 'x'.repeat(6000),
      externalExecutionId: 'checkout-tests:1',
    });
    const input = codepipeline.commandCalls(PutJobFailureResultCommand)[0]?.args[0].input;
    expect(input?.jobId).toBe('job-2');
    expect(input?.failureDetails?.type).toBe('JobFailed');
    expect(input?.failureDetails?.externalExecutionId).toBe('checkout-tests:1');
    expect(input?.failureDetails?.message).toHaveLength(5000);
  });

  it.each([
    [new InvalidJobStateException({ message: 'closed', ...meta }), ConflictError],
    [new JobNotFoundException({ message: 'gone', ...meta }), NotFoundError],
    [new ValidationException({ message: 'bad', ...meta }), ValidationError],
    [Object.assign(new Error('slow down'), { name: 'ThrottlingException', ...meta }), TransientError],
  ])('maps %s to a named error', async (error, named) => {
    codepipeline.on(PutJobFailureResultCommand).rejects(error);
    codepipeline.on(PutJobSuccessResultCommand).rejects(error);
    await expect(reporter().fail('job-1', { type: 'JobFailed', message: 'm' })).rejects.toThrow(named);
    await expect(reporter().succeed('job-1', { summary: 's' })).rejects.toThrow(
      /PutJobSuccessResult of job "job-1"/,
    );
  });
});
