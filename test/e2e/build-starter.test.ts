import { Readable } from 'node:stream';
import {
  BatchGetBuildsCommand,
  CodeBuildClient,
  CreateProjectCommand,
  ListBuildsForProjectCommand,
} from '@aws-sdk/client-codebuild';
import type { Context } from 'aws-lambda';
import { handler } from '../../functions/build-broker/start';
import { buildProfileStore, setBuildProfileStore } from '../../functions/runtime/build-profiles';
import { setBuildStarter } from '../../functions/runtime/build-starter';
import { CodeBuildStarter } from '../../shared/aws/codebuild-starter';
import { CodeBuildStatusReader } from '../../shared/aws/codebuild-status';
import { BUILD_STATUSES } from '../../shared/ports/builds';
import { REGION, useMoto } from './harness';

jest.setTimeout(120_000);
const context = {
  functionName: 'build-starter',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

/**
 * The starter handler as deployed (DynamoDB store, CodeBuild adapter, both from the environment)
 * against moto. moto's StartBuild ignores `idempotencyToken` and the compute/environment overrides
 * (a build reports its project's environment), so this suite asserts what moto does keep: the
 * build exists for the project with the run's source version, and a retried invocation starts no
 * second build, which here can only come from the allocation record. The request shape with the
 * overrides and the token is asserted by test/unit/aws/codebuild-starter.test.ts.
 * moto also answers a build's times as ISO strings where CodeBuild's JSON protocol has epoch
 * seconds, which the SDK refuses to parse: the starter is the product adapter over a client that
 * rewrites those strings to epoch seconds before the SDK reads them (`epochTimes`).
 */
function epochTimes(client: CodeBuildClient): CodeBuildClient {
  client.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const response = out.response as { body?: AsyncIterable<Uint8Array> };
      if (!response.body) return out;
      const chunks: Buffer[] = [];
      for await (const chunk of response.body) chunks.push(Buffer.from(chunk));
      const text = Buffer.concat(chunks)
        .toString('utf8')
        .replace(/"(\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:?\d\d)?)"/g, (_m, iso: string) =>
          String(Date.parse(iso) / 1000),
        );
      response.body = Readable.from([Buffer.from(text)]);
      return out;
    },
    { step: 'deserialize', priority: 'low', name: 'motoEpochTimes' },
  );
  return client;
}

describe('build starter on moto', () => {
  const moto = useMoto();
  let codebuild: CodeBuildClient;
  let starterClient: CodeBuildClient;
  beforeAll(() => {
    codebuild = epochTimes(new CodeBuildClient({ endpoint: moto().endpoint, region: REGION }));
    starterClient = epochTimes(new CodeBuildClient({ region: REGION }));
  });
  beforeEach(() => {
    setBuildProfileStore(undefined);
    setBuildStarter(new CodeBuildStarter(() => starterClient));
  });
  afterAll(() => {
    setBuildStarter(undefined);
    codebuild.destroy();
    starterClient.destroy();
  });

  const project = 'checkout-tests';
  const request = {
    projectName: project,
    pipeline: 'checkout',
    stage: 'Test',
    runId: 'c1d2e3f4-0000-4000-8000-000000000001',
    sourceVersion: 'abc1234',
  };

  async function createProject(): Promise<void> {
    await codebuild.send(
      new CreateProjectCommand({
        name: project,
        // moto requires a source location even where AWS does not (NO_SOURCE): a CodeCommit one.
        source: {
          type: 'CODECOMMIT',
          location: `https://git-codecommit.${REGION}.amazonaws.com/v1/repos/checkout`,
        },
        artifacts: { type: 'NO_ARTIFACTS' },
        environment: {
          type: 'LINUX_CONTAINER',
          image: 'aws/codebuild/standard:7.0',
          computeType: 'BUILD_GENERAL1_MEDIUM',
        },
        serviceRole: 'arn:aws:iam::123456789012:role/codebuild-service',
      }),
    );
  }

  it('starts one build of the project for a run, and a retry returns the same build', async () => {
    await createProject();

    const first = await handler(request, context);
    const retried = await handler(request, context);

    const ids = (await codebuild.send(new ListBuildsForProjectCommand({ projectName: project }))).ids ?? [];
    expect(ids).toEqual([first.buildId]);
    expect(retried).toMatchObject({ action: 'already-started', buildId: first.buildId });
    expect(first.action).toBe('started');
    const builds = (await codebuild.send(new BatchGetBuildsCommand({ ids }))).builds ?? [];
    expect(builds[0]?.projectName).toBe(project);
    expect(builds[0]?.sourceVersion).toBe('abc1234');
  });

  it('records the run context of the request on the run allocation in the table', async () => {
    await createProject();
    const runId = 'c1d2e3f4-0000-4000-8000-000000000002';
    await handler(
      { ...request, runId, sourceVersion: 'refs/heads/main', runContext: { changeScore: 4.5, jobs: 2 } },
      context,
    );
    const recorded = await buildProfileStore().getAllocation('checkout', 'Test', runId);
    expect(recorded?.runContext).toEqual({ changeKey: 'main', lane: 'push:main', changeScore: 4.5, jobs: 2 });
  });

  it('reads the started build back as the pipeline action does (BatchGetBuilds, endpoint from the environment)', async () => {
    // moto has no CodePipeline job API (PutJobSuccessResult/PutJobFailureResult): only the
    // CodeBuild half of the pipeline action runs here.
    await createProject();
    const started = await handler({ ...request, runId: 'c1d2e3f4-0000-4000-8000-000000000003' }, context);
    const state = await new CodeBuildStatusReader(() => starterClient).status(started.buildId);
    expect(state.id).toBe(started.buildId);
    expect(BUILD_STATUSES).toContain(state.status);
    await expect(
      new CodeBuildStatusReader(() => starterClient).status(
        `${project}:00000000-0000-4000-8000-000000000000`,
      ),
    ).rejects.toMatchObject({ name: 'NotFoundError' });
  });

  it('throws NotFoundError for a project CodeBuild does not have', async () => {
    await expect(handler({ ...request, projectName: 'missing-project' }, context)).rejects.toMatchObject({
      name: 'NotFoundError',
    });
  });
});
