import {
  AccountLimitExceededException,
  CodeBuildClient,
  InvalidInputException,
  ResourceNotFoundException,
  StartBuildCommand,
} from '@aws-sdk/client-codebuild';
import { mockClient } from 'aws-sdk-client-mock';
import { CodeBuildStarter } from '../../../shared/aws/codebuild-starter';
import { ConfigError, NotFoundError, TransientError, ValidationError } from '../../../shared/errors';
import type { SizedBuildRequest } from '../../../shared/ports/builds';

const codebuild = mockClient(CodeBuildClient);
const starter = () => new CodeBuildStarter(() => new CodeBuildClient({ region: 'us-east-1' }));
const meta = { $metadata: { httpStatusCode: 400 } };

const request: SizedBuildRequest = {
  projectName: 'checkout-tests',
  computeType: 'BUILD_GENERAL1_LARGE',
  environmentType: 'LINUX_CONTAINER',
  idempotencyToken: 'shadowscale-abc',
  sourceVersion: 'refs/heads/main',
  environmentVariables: [{ name: 'SUITE', value: 'integration', type: 'PLAINTEXT' }],
};

beforeEach(() => codebuild.reset());

describe('CodeBuildStarter', () => {
  it('sends the allocation as overrides with the run token, and returns the build id', async () => {
    // Prepare
    codebuild.on(StartBuildCommand).resolves({
      build: {
        id: 'checkout-tests:11111111-2222-4333-8444-555555555555',
        arn: 'arn:aws:codebuild:us-east-1:123456789012:build/checkout-tests:11111111-2222-4333-8444-555555555555',
      },
    });
    // Act
    const started = await starter().start(request);
    // Assess
    expect(codebuild.commandCalls(StartBuildCommand).map((c) => c.args[0].input)).toEqual([
      {
        projectName: 'checkout-tests',
        computeTypeOverride: 'BUILD_GENERAL1_LARGE',
        environmentTypeOverride: 'LINUX_CONTAINER',
        idempotencyToken: 'shadowscale-abc',
        sourceVersion: 'refs/heads/main',
        environmentVariablesOverride: [{ name: 'SUITE', value: 'integration', type: 'PLAINTEXT' }],
      },
    ]);
    expect(started).toEqual({
      id: 'checkout-tests:11111111-2222-4333-8444-555555555555',
      arn: 'arn:aws:codebuild:us-east-1:123456789012:build/checkout-tests:11111111-2222-4333-8444-555555555555',
      projectName: 'checkout-tests',
      computeType: 'BUILD_GENERAL1_LARGE',
    });
  });

  it('leaves out the source version and variables when none are given', async () => {
    codebuild.on(StartBuildCommand).resolves({ build: { id: 'checkout-tests:1' } });
    await starter().start({
      ...request,
      environmentVariables: [],
      sourceVersion: undefined,
    } as SizedBuildRequest);
    const input = codebuild.commandCalls(StartBuildCommand)[0]?.args[0].input;
    expect(input).not.toHaveProperty('sourceVersion');
    expect(input).not.toHaveProperty('environmentVariablesOverride');
  });

  it('refuses a compute type CodeBuild does not know, before calling it', async () => {
    await expect(starter().start({ ...request, computeType: 'BUILD_GENERAL1_HUGE' })).rejects.toThrow(
      /computeType: "BUILD_GENERAL1_HUGE"/,
    );
    expect(codebuild.commandCalls(StartBuildCommand)).toHaveLength(0);
  });

  it('treats an answer without a build id as transient', async () => {
    codebuild.on(StartBuildCommand).resolves({});
    await expect(starter().start(request)).rejects.toBeInstanceOf(TransientError);
  });

  const throttled = Object.assign(new Error('Rate exceeded'), {
    name: 'ThrottlingException',
    $metadata: { httpStatusCode: 400 },
  });
  const denied = Object.assign(new Error('not authorized to perform codebuild:StartBuild'), {
    name: 'AccessDeniedException',
    $metadata: { httpStatusCode: 400 },
  });
  it.each([
    [
      'an unknown project',
      new ResourceNotFoundException({ message: 'Project cannot be found', ...meta }),
      NotFoundError,
    ],
    [
      'the concurrent-build limit',
      new AccountLimitExceededException({ message: 'limit', ...meta }),
      TransientError,
    ],
    ['a refused value', new InvalidInputException({ message: 'bad compute type', ...meta }), ValidationError],
    ['throttling', throttled, TransientError],
    ['a role without the grant', denied, ConfigError],
  ])('maps %s to its named error', async (_what, error, named) => {
    codebuild.on(StartBuildCommand).rejects(error);
    const thrown = await starter()
      .start(request)
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(named);
    expect((thrown as Error).message).toContain('checkout-tests');
    expect((thrown as Error).cause).toBe(error);
  });
});
