import { BatchGetBuildsCommand, CodeBuildClient } from '@aws-sdk/client-codebuild';
import { mockClient } from 'aws-sdk-client-mock';
import { CodeBuildStatusReader } from '../../../shared/aws/codebuild-status';
import { ConfigError, NotFoundError, TransientError, ValidationError } from '../../../shared/errors';

const codebuild = mockClient(CodeBuildClient);
const reader = () => new CodeBuildStatusReader(() => new CodeBuildClient({ region: 'us-east-1' }));
const ID = 'checkout-tests:11111111-2222-4333-8444-555555555555';

beforeEach(() => codebuild.reset());

describe('CodeBuildStatusReader', () => {
  it.each(['IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'FAULT', 'TIMED_OUT', 'STOPPED'] as const)(
    'reads one build by id: %s',
    async (status) => {
      // Prepare
      codebuild
        .on(BatchGetBuildsCommand)
        .resolves({ builds: [{ id: ID, buildStatus: status, currentPhase: 'BUILD' }] });
      // Act
      const state = await reader().status(ID);
      // Assess
      expect(codebuild.commandCalls(BatchGetBuildsCommand).map((c) => c.args[0].input)).toEqual([
        { ids: [ID] },
      ]);
      expect(state).toEqual({ id: ID, status, phase: 'BUILD' });
    },
  );

  it('is NotFoundError when CodeBuild does not know the build', async () => {
    codebuild.on(BatchGetBuildsCommand).resolves({ builds: [], buildsNotFound: [ID] });
    await expect(reader().status(ID)).rejects.toThrow(NotFoundError);
  });

  it('is ValidationError naming buildStatus for a status it does not know', async () => {
    codebuild.on(BatchGetBuildsCommand).resolves({ builds: [{ id: ID, buildStatus: 'PAUSED' as never }] });
    await expect(reader().status(ID)).rejects.toThrow(ValidationError);
    await expect(reader().status(ID)).rejects.toThrow(/"PAUSED"/);
  });

  it('maps throttling to TransientError and access denied to ConfigError', async () => {
    codebuild
      .on(BatchGetBuildsCommand)
      .rejectsOnce(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }))
      .rejectsOnce(Object.assign(new Error('no'), { name: 'AccessDeniedException' }));
    await expect(reader().status(ID)).rejects.toThrow(TransientError);
    await expect(reader().status(ID)).rejects.toThrow(ConfigError);
  });
});
