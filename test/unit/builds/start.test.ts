import { brokerConfigFromEnv, decide, feedback, startSizedBuild } from '../../../functions/build-broker/core';
import { buildToken } from '../../../shared/builds/start';
import { ManualClock } from '../../../shared/clock';
import { NotFoundError, TransientError, ValidationError } from '../../../shared/errors';
import type { BuildStarter } from '../../../shared/ports/builds';
import { MemoryBuildStarter, TOKEN_WINDOW_MS } from '../../../shared/sim/build-starter';
import { MemoryBuildProfileStore } from '../../../shared/sim/memory-build-profiles';

const config = brokerConfigFromEnv({ AWS_REGION: 'us-east-1' });
const request = {
  projectName: 'checkout-tests',
  pipeline: 'checkout',
  stage: 'Test',
  runId: 'c1d2e3f4-0000-4000-8000-000000000001',
  sourceVersion: 'abc123',
  environmentVariables: [{ name: 'SUITE', value: 'integration' }],
};

function setup() {
  const clock = new ManualClock(Date.parse('2026-03-02T10:00:00Z'));
  const store = new MemoryBuildProfileStore(clock);
  const starter = new MemoryBuildStarter(clock, new Set(['checkout-tests']));
  return { clock, store, starter, deps: { clock, store, config, starter } };
}

describe('startSizedBuild (direct invocation)', () => {
  it('allocates, starts the build on the allocated size with the run token, and records the build id', async () => {
    const { store, starter, deps } = setup();
    const result = await startSizedBuild(request, deps);
    expect(result.action).toBe('started');
    expect(starter.builds).toHaveLength(1);
    const [build] = starter.builds;
    expect(build).toMatchObject({
      projectName: 'checkout-tests',
      computeType: result.allocation.codebuild?.computeTypeOverride,
      environmentType: 'LINUX_CONTAINER',
      idempotencyToken: buildToken('checkout', 'Test', request.runId),
      sourceVersion: 'abc123',
      environmentVariables: [
        { name: 'SUITE', value: 'integration', type: 'PLAINTEXT' },
        { name: 'SHADOWSCALE_PIPELINE', value: 'checkout', type: 'PLAINTEXT' },
        { name: 'SHADOWSCALE_STAGE', value: 'Test', type: 'PLAINTEXT' },
        { name: 'SHADOWSCALE_RUN_ID', value: request.runId, type: 'PLAINTEXT' },
      ],
    });
    expect(result.buildId).toBe(build?.id);
    const recorded = await store.getAllocation('checkout', 'Test', request.runId);
    expect(recorded?.build?.id).toBe(build?.id);
    expect(recorded?.allocation).toEqual(result.allocation);
  });

  it('starts one build for a retried invocation, even after the token window', async () => {
    const { clock, starter, deps } = setup();
    const first = await startSizedBuild(request, deps);
    clock.advance(TOKEN_WINDOW_MS + 60_000);
    const again = await startSizedBuild(request, deps);
    expect(again).toMatchObject({ action: 'already-started', buildId: first.buildId });
    expect(starter.builds).toHaveLength(1);
  });

  it('gets the same build when the first invocation died between StartBuild and the record', async () => {
    // Prepare: a starter that starts the build, then the invocation is lost before recording.
    const { store, starter, deps } = setup();
    let lost = true;
    const dying: BuildStarter = {
      start: async (r) => {
        const started = await starter.start(r);
        if (lost) {
          lost = false;
          throw new TransientError('Lambda timed out after StartBuild');
        }
        return started;
      },
    };
    await expect(startSizedBuild(request, { ...deps, starter: dying })).rejects.toBeInstanceOf(
      TransientError,
    );
    // Act: the retry within CodeBuild's token window.
    const retried = await startSizedBuild(request, { ...deps, starter: dying });
    // Assess
    expect(starter.builds).toHaveLength(1);
    expect(retried).toMatchObject({ action: 'started', buildId: starter.builds[0]?.id });
    expect((await store.getAllocation('checkout', 'Test', request.runId))?.build?.id).toBe(
      starter.builds[0]?.id,
    );
  });

  it('returns the started build, marked unrecorded, when recording it fails transiently', async () => {
    // Prepare: the store cannot record the build once.
    const { store, starter, deps } = setup();
    const failing = Object.assign(Object.create(store) as MemoryBuildProfileStore, {
      setBuild: async () => {
        throw new TransientError('DynamoDB throttled');
      },
    });
    // Act
    const result = await startSizedBuild(request, { ...deps, store: failing });
    // Assess: one build, returned, nothing thrown that would orphan it; a retry in the token window gets it.
    expect(starter.builds).toHaveLength(1);
    expect(result).toMatchObject({ action: 'started', buildId: starter.builds[0]?.id, recorded: false });
    const retried = await startSizedBuild(request, deps);
    expect(retried.buildId).toBe(result.buildId);
    expect(starter.builds).toHaveLength(1);
  });

  it('still throws a non-transient failure of the record', async () => {
    const { store, deps } = setup();
    const failing = Object.assign(Object.create(store) as MemoryBuildProfileStore, {
      setBuild: async () => {
        throw new NotFoundError('allocation gone');
      },
    });
    await expect(startSizedBuild(request, { ...deps, store: failing })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('gives other runs of the stage their own build and token', async () => {
    const { starter, deps } = setup();
    await startSizedBuild(request, deps);
    await startSizedBuild({ ...request, runId: 'run-2' }, deps);
    expect(new Set(starter.builds.map((b) => b.idempotencyToken)).size).toBe(2);
  });

  it('throws the starter named errors and records no build', async () => {
    const { store, starter, deps } = setup();
    starter.failNext(new TransientError('StartBuild: ThrottlingException'));
    await expect(startSizedBuild(request, deps)).rejects.toBeInstanceOf(TransientError);
    expect((await store.getAllocation('checkout', 'Test', request.runId))?.build).toBeUndefined();
    await expect(
      startSizedBuild({ ...request, projectName: 'nope', runId: 'r3' }, deps),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it.each([
    [{ ...request, projectName: 'bad name!' }, 'projectName', '"bad name!"'],
    [{ ...request, runId: '' }, 'runId', '""'],
    [{ ...request, deadlineSeconds: -5 }, 'deadlineSeconds', '-5'],
    [
      { ...request, environmentVariables: [{ name: 'X', value: '1', type: 'SECRET' }] },
      'environmentVariables[0].type',
      '"SECRET"',
    ],
    [{ ...request, computeType: 'LARGE' }, 'computeType', ''],
  ])('refuses an invalid request, naming the field and value (%#)', async (input, field, value) => {
    const { starter, deps } = setup();
    const thrown = await startSizedBuild(input, deps).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as Error).message).toContain(field);
    expect((thrown as Error).message).toContain(value);
    expect(starter.builds).toHaveLength(0);
  });

  it('does not allocate the started build again on its start event, and learns the run from its end', async () => {
    // Prepare: the state-change events CodeBuild sends for the build, with its variables.
    const { store, starter, deps } = setup();
    const started = await startSizedBuild(request, deps);
    const variables = (starter.builds[0]?.environmentVariables ?? []).map((v) => ({ ...v }));
    const event = (status: string, phases: { 'phase-type': string; 'duration-in-seconds': number }[]) => ({
      version: '0',
      id: `evt-${status}`,
      'detail-type': 'CodeBuild Build State Change',
      source: 'aws.codebuild',
      account: '123456789012',
      time: '2026-03-02T10:20:00Z',
      region: 'us-east-1',
      resources: [],
      detail: {
        'build-status': status,
        'project-name': 'checkout-tests',
        'build-id': started.buildId,
        'additional-information': {
          environment: { 'compute-type': started.computeType, 'environment-variables': variables },
          phases,
        },
      },
    });
    // Act
    const onStart = await decide(event('IN_PROGRESS', []), deps);
    const onEnd = await feedback(
      event('SUCCEEDED', [{ 'phase-type': 'BUILD', 'duration-in-seconds': 300 }]),
      deps,
    );
    // Assess
    expect(onStart).toMatchObject({
      action: 'skipped',
      reason: expect.stringContaining('started by the broker'),
    });
    expect(await store.getAllocation('codebuild', 'checkout-tests', started.buildId)).toBeUndefined();
    expect(onEnd).toMatchObject({
      action: 'absorbed',
      pipeline: 'checkout',
      stage: 'Test',
      runId: request.runId,
    });
    expect((await store.getProfile('checkout', 'Test'))?.state.runs).toBe(1);
    expect(await store.getProfile('codebuild', 'checkout-tests')).toBeUndefined();
  });
});
