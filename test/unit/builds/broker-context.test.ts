import {
  type BrokerConfig,
  brokerConfigFromEnv,
  decide,
  feedback,
  startSizedBuild,
} from '../../../functions/build-broker/core';
import { absorbRun, newProfileState, predictStage } from '../../../shared/builds/predictor';
import { stageRunInput } from '../../../shared/builds/run-context';
import { ManualClock } from '../../../shared/clock';
import { ValidationError } from '../../../shared/errors';
import type { AllocationRecord } from '../../../shared/ports/builds';
import { MemoryBuildStarter } from '../../../shared/sim/build-starter';
import { MemoryBuildProfileStore } from '../../../shared/sim/memory-build-profiles';
import { pipelineStageEvent } from '../../helpers/build-events';

/**
 * The run context reaches the predictor on the deployed path: the start is predicted with it, the
 * allocation records it, and the end (whose event lacks it) is absorbed with the recorded one.
 */
const config: BrokerConfig = brokerConfigFromEnv({ AWS_REGION: 'us-east-1' });
const T0 = Date.parse('2026-03-02T10:00:00Z');

function setup() {
  const clock = new ManualClock(T0);
  const store = new MemoryBuildProfileStore(clock);
  const starter = new MemoryBuildStarter(clock, new Set(['checkout-tests']));
  return { clock, store, starter, deps: { clock, store, config } };
}

const BUILD_ID =
  'arn:aws:codebuild:us-east-1:123456789012:build/unit-tests:8745a7a9-c340-456a-9166-edf953571bEX';

/** A CodeBuild state change as the CodeBuild User Guide shows it; the end event carries no source. */
const buildEvent = (
  status: 'IN_PROGRESS' | 'SUCCEEDED',
  extra: {
    sourceVersion?: string;
    variables?: { name: string; value: string; type: string }[];
    phases?: { 'phase-type': string; 'duration-in-seconds': number }[];
  } = {},
) => ({
  version: '0',
  id: `evt-${status}`,
  'detail-type': 'CodeBuild Build State Change',
  source: 'aws.codebuild',
  account: '123456789012',
  time: status === 'IN_PROGRESS' ? '2026-03-02T10:00:00Z' : '2026-03-02T10:10:00Z',
  region: 'us-east-1',
  resources: [BUILD_ID],
  detail: {
    'build-status': status,
    'project-name': 'unit-tests',
    'build-id': BUILD_ID,
    'additional-information': {
      environment: {
        image: 'aws/codebuild/standard:7.0',
        'compute-type': 'BUILD_GENERAL1_MEDIUM',
        type: 'LINUX_CONTAINER',
        'environment-variables': extra.variables ?? [],
      },
      initiator: 'GitHub-Hookshot/1a2b3c',
      source: { type: 'GITHUB', location: 'https://github.com/example/checkout.git' },
      ...(extra.sourceVersion ? { 'source-version': extra.sourceVersion } : {}),
      phases: extra.phases ?? [],
    },
    'current-phase': status === 'IN_PROGRESS' ? 'SUBMITTED' : 'COMPLETED',
    version: '1',
  },
});

const stageEvent = pipelineStageEvent;

const lanesOf = (state: { lanes?: [string, number[]][] } | undefined) => (state?.lanes ?? []).map(([l]) => l);
const changesOf = (state: { byChange: [string, number][] } | undefined) =>
  (state?.byChange ?? []).map(([k]) => k);

describe('build broker run context', () => {
  it('records a CodeBuild build context at its start and absorbs its end with it', async () => {
    const { store, deps } = setup();
    const started = await decide(
      buildEvent('IN_PROGRESS', {
        sourceVersion: 'refs/heads/release-2.x',
        variables: [{ name: 'SHADOWSCALE_CHANGE_SCORE', value: '6.5', type: 'PLAINTEXT' }],
      }),
      deps,
    );
    expect(started.action).toBe('allocated');
    const alloc = await store.getAllocation('codebuild', 'unit-tests', BUILD_ID);
    expect(alloc?.runContext).toEqual({
      changeKey: 'release-2.x',
      lane: 'push:release-2.x',
      changeScore: 6.5,
    });

    const ended = await feedback(
      buildEvent('SUCCEEDED', { phases: [{ 'phase-type': 'BUILD', 'duration-in-seconds': 300 }] }),
      deps,
    );
    expect(ended.action).toBe('absorbed');
    const state = (await store.getProfile('codebuild', 'unit-tests'))?.state;
    expect(changesOf(state)).toEqual(['release-2.x']);
    expect(lanesOf(state)).toEqual(['push:release-2.x']);
  });

  it('predicts a start with its context: the allocation is planned on what the predictor gives for it', async () => {
    const { store, deps } = setup();
    // A stage whose release-branch runs are ten times shorter than main's: the lane tells them apart.
    const state = newProfileState();
    for (let i = 0; i < 60; i++) {
      const lane = i % 2 === 0 ? 'push:main' : 'push:release-2.x';
      absorbRun(state, { startMs: T0 - (60 - i) * 3_600_000, lane }, lane === 'push:main' ? 1_000 : 100);
    }
    await store.putProfile(
      { pipeline: 'codebuild', stage: 'unit-tests', state, version: 0, absorbed: [], updatedAt: T0 },
      0,
    );
    const input = stageRunInput(T0, { changeKey: 'release-2.x', lane: 'push:release-2.x' });
    const withContext = predictStage(structuredClone(state), input)?.agentSeconds;
    const without = predictStage(structuredClone(state), { startMs: T0 })?.agentSeconds;
    expect(withContext?.q50).toBeLessThan(without?.q50 ?? 0);

    await decide(buildEvent('IN_PROGRESS', { sourceVersion: 'refs/heads/release-2.x' }), deps);
    expect((await store.getAllocation('codebuild', 'unit-tests', BUILD_ID))?.planned).toEqual(withContext);
  });

  it('absorbs a workflow task with the context its request gave', async () => {
    const { store, deps } = setup();
    const runContext = { changeKey: 'nightly', lane: 'push:main', changeScore: 2, jobs: 4 };
    await decide({ kind: 'ecs-task', workflow: 'etl', task: 'Transform', runId: 'exec-1', runContext }, deps);
    expect((await store.getAllocation('etl', 'Transform', 'exec-1'))?.runContext).toEqual(runContext);
    const ended = await feedback(
      { kind: 'ecs-task-ended', workflow: 'etl', task: 'Transform', runId: 'exec-1', durationSeconds: 120 },
      deps,
    );
    expect(ended.action).toBe('absorbed');
    const state = (await store.getProfile('etl', 'Transform'))?.state;
    expect(changesOf(state)).toEqual(['nightly']);
    expect(lanesOf(state)).toEqual(['push:main']);
  });

  it('records the starter request context on the allocation it starts the build for', async () => {
    const { store, starter, deps } = setup();
    await startSizedBuild(
      {
        projectName: 'checkout-tests',
        pipeline: 'checkout',
        stage: 'Test',
        runId: 'exec-9',
        sourceVersion: 'pr/42',
        runContext: { lane: 'pr:main', changeScore: 3.5 },
      },
      { ...deps, starter },
    );
    expect((await store.getAllocation('checkout', 'Test', 'exec-9'))?.runContext).toEqual({
      changeKey: 'pr/42',
      lane: 'pr:main',
      changeScore: 3.5,
    });
  });

  it('records an empty context for a CodePipeline stage, whose event names no revision', async () => {
    const { store, deps } = setup();
    await decide(stageEvent('STARTED', '2026-03-02T10:00:00Z', 'exec-1'), deps);
    expect((await store.getAllocation('checkout', 'Test', 'exec-1'))?.runContext).toEqual({});
  });

  it('still absorbs a run whose allocation was recorded without a context', async () => {
    const { store, deps } = setup();
    await decide(stageEvent('STARTED', '2026-03-02T10:00:00Z', 'exec-old'), deps);
    // As stored before the context was kept.
    const key = 'checkout#Test#exec-old';
    const { runContext: _dropped, ...old } = store.allocations.get(key) as AllocationRecord;
    store.allocations.set(key, old);
    const ended = await feedback(stageEvent('SUCCEEDED', '2026-03-02T10:10:00Z', 'exec-old'), deps);
    expect(ended).toMatchObject({ action: 'absorbed', runs: 1 });
    const state = (await store.getProfile('checkout', 'Test'))?.state;
    expect(changesOf(state)).toEqual([]);
    expect(lanesOf(state)).toEqual([]);
  });

  it('reads an old CodeBuild allocation without context from the end event, as its start would have', async () => {
    const { store, deps } = setup();
    await decide(buildEvent('IN_PROGRESS'), deps);
    const key = `codebuild#unit-tests#${BUILD_ID}`;
    const { runContext: _dropped, ...old } = store.allocations.get(key) as AllocationRecord;
    store.allocations.set(key, old);
    await feedback(
      buildEvent('SUCCEEDED', {
        sourceVersion: 'pr/7',
        phases: [{ 'phase-type': 'BUILD', 'duration-in-seconds': 300 }],
      }),
      deps,
    );
    expect(changesOf((await store.getProfile('codebuild', 'unit-tests'))?.state)).toEqual(['pr/7']);
  });

  it('still sizes and learns a build whose context variable is malformed, leaving that variable out and naming it', async () => {
    const { store, deps } = setup();
    const variables = [
      { name: 'SHADOWSCALE_JOBS', value: 'many', type: 'PLAINTEXT' },
      { name: 'SHADOWSCALE_CHANGE_KEY', value: 'feature-x', type: 'PLAINTEXT' },
    ];
    const started = await decide(buildEvent('IN_PROGRESS', { variables }), deps);
    expect(started.action).toBe('allocated');
    expect(started.action === 'allocated' && started.ignoredContext).toEqual([
      expect.stringMatching(/SHADOWSCALE_JOBS="many"/),
    ]);
    const key = `codebuild#unit-tests#${BUILD_ID}`;
    expect(store.allocations.get(key)?.runContext).toEqual({ changeKey: 'feature-x' });

    // An end whose start was never allocated is read from its own event, with the same leniency.
    const { deps: fresh, store: other } = setup();
    const ended = await feedback(
      buildEvent('SUCCEEDED', { variables, phases: [{ 'phase-type': 'BUILD', 'duration-in-seconds': 300 }] }),
      fresh,
    );
    expect(ended.action).toBe('absorbed');
    expect(ended.action === 'absorbed' && ended.ignoredContext?.[0]).toMatch(/SHADOWSCALE_JOBS="many"/);
    expect(changesOf((await other.getProfile('codebuild', 'unit-tests'))?.state)).toEqual(['feature-x']);
  });

  it('rejects a workflow request with a bad context naming the field, storing nothing', async () => {
    const { store, deps } = setup();
    const error = await decide(
      { kind: 'ecs-task', workflow: 'etl', task: 'T', runId: 'r', runContext: { changeScore: 'large' } },
      deps,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toMatch(/runContext\.changeScore.*"large"/);
    expect(store.allocations.size).toBe(0);
  });
});
