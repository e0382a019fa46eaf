import {
  type BrokerConfig,
  brokerConfigFromEnv,
  decide,
  feedback,
} from '../../../functions/build-broker/core';
import { ManualClock } from '../../../shared/clock';
import { ValidationError } from '../../../shared/errors';
import { MemoryBuildProfileStore } from '../../../shared/sim/memory-build-profiles';
import { pipelineStageEvent } from '../../helpers/build-events';

const stageEvent = pipelineStageEvent;

/** A CodeBuild build state change as the CodeBuild User Guide shows it. */
const buildEvent = (
  status: string,
  phases: { 'phase-type': string; 'duration-in-seconds'?: number }[] = [],
) => ({
  version: '0',
  id: `evt-build-${status}`,
  'detail-type': 'CodeBuild Build State Change',
  source: 'aws.codebuild',
  account: '123456789012',
  time: '2026-03-02T10:20:00Z',
  region: 'us-east-1',
  resources: [
    'arn:aws:codebuild:us-east-1:123456789012:build/unit-tests:8745a7a9-c340-456a-9166-edf953571bEX',
  ],
  detail: {
    'build-status': status,
    'project-name': 'unit-tests',
    'build-id':
      'arn:aws:codebuild:us-east-1:123456789012:build/unit-tests:8745a7a9-c340-456a-9166-edf953571bEX',
    'additional-information': {
      environment: {
        image: 'aws/codebuild/standard:7.0',
        'privileged-mode': false,
        'compute-type': 'BUILD_GENERAL1_MEDIUM',
        type: 'LINUX_CONTAINER',
      },
      'timeout-in-minutes': 60,
      'build-complete': status !== 'IN_PROGRESS',
      phases: phases.map((p) => ({
        'phase-context': [],
        'start-time': 'Mar 2, 2026 10:00:00 AM',
        'phase-status': 'SUCCEEDED',
        ...p,
      })),
    },
    'current-phase': 'COMPLETED',
    'current-phase-context': '[]',
    version: '1',
  },
});

const config: BrokerConfig = brokerConfigFromEnv({ AWS_REGION: 'us-east-1' });

function setup() {
  const clock = new ManualClock(Date.parse('2026-03-02T10:00:00Z'));
  const store = new MemoryBuildProfileStore(clock);
  return { clock, store, deps: { clock, store, config } };
}

describe('build broker handler core', () => {
  it('allocates on stage start, learns on stage end, and plans the next run from the profile', async () => {
    const { clock, store, deps } = setup();
    for (let i = 0; i < 25; i++) {
      const id = `exec-${i}`;
      const start = new Date(clock.now()).toISOString();
      const started = await decide(stageEvent('STARTED', start, id), deps);
      expect(started.action).toBe('allocated');
      clock.advance(600_000);
      const ended = await feedback(stageEvent('SUCCEEDED', new Date(clock.now()).toISOString(), id), deps);
      expect(ended.action).toBe('absorbed');
      clock.advance(3_600_000);
    }
    const next = await decide(stageEvent('STARTED', new Date(clock.now()).toISOString(), 'exec-next'), deps);
    if (next.action !== 'allocated') throw new Error('expected an allocation');
    expect(next.basis).not.toBe('no history');
    expect(next.allocation.codebuild?.computeTypeOverride).toMatch(/^BUILD_GENERAL1_/);
    expect((await store.getProfile('checkout', 'Test'))?.state.runs).toBe(25);
  });

  it('absorbs a redelivered end event once', async () => {
    const { deps, store } = setup();
    await decide(stageEvent('STARTED', '2026-03-02T10:00:00Z'), deps);
    await feedback(stageEvent('SUCCEEDED', '2026-03-02T10:10:00Z'), deps);
    const again = await feedback(stageEvent('SUCCEEDED', '2026-03-02T10:10:00Z'), deps);
    expect(again.action).toBe('skipped');
    expect((await store.getProfile('checkout', 'Test'))?.state.runs).toBe(1);
  });

  it('learns from a standalone CodeBuild build from its phase durations', async () => {
    const { deps, store } = setup();
    const out = await feedback(
      buildEvent('SUCCEEDED', [
        { 'phase-type': 'SUBMITTED', 'duration-in-seconds': 1 },
        { 'phase-type': 'BUILD', 'duration-in-seconds': 300 },
      ]),
      deps,
    );
    expect(out.action).toBe('absorbed');
    expect((await store.getProfile('codebuild', 'unit-tests'))?.state.runs).toBe(1);
  });

  it('returns an ECS capacity-provider strategy to a workflow task', async () => {
    const { deps } = setup();
    const out = await decide(
      { kind: 'ecs-task', workflow: 'etl', task: 'Transform', runId: 'exec-1', interruptible: true },
      deps,
    );
    if (out.action !== 'allocated') throw new Error('expected an allocation');
    expect(out.allocation.ecs?.capacityProviderStrategy[0]?.capacityProvider).toBe('FARGATE_SPOT');
  });

  it('skips stage states that are neither a start nor a finished run', async () => {
    const { deps, store } = setup();
    expect((await decide(stageEvent('SUCCEEDED', '2026-03-02T10:00:00Z'), deps)).action).toBe('skipped');
    expect((await feedback(stageEvent('CANCELED', '2026-03-02T10:00:00Z'), deps)).action).toBe('skipped');
    expect(store.allocations.size + store.profiles.size).toBe(0);
  });

  it.each([
    [
      'a stage event without the execution id',
      (() => {
        const e = stageEvent('STARTED', '2026-03-02T10:00:00Z');
        const { 'execution-id': _x, ...detail } = e.detail;
        return { ...e, detail };
      })(),
      'detail.execution-id',
    ],
    ['a stage event with an unknown state', stageEvent('EXPLODED', '2026-03-02T10:00:00Z'), 'detail.state'],
    [
      'a workflow request with a bad deadline',
      { kind: 'ecs-task', workflow: 'etl', task: 'T', runId: 'r', deadlineSeconds: -5 },
      'deadlineSeconds',
    ],
  ])('rejects %s naming the field, storing nothing', async (_what, event, field) => {
    const { deps, store } = setup();
    const error = await decide(event, deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain(field);
    expect(store.allocations.size + store.profiles.size).toBe(0);
  });

  it('rejects a malformed end event naming the field, storing nothing', async () => {
    const { deps, store } = setup();
    const event = { ...stageEvent('SUCCEEDED', 'yesterday') };
    const error = await feedback(event, deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(store.profiles.size).toBe(0);
  });

  it('refuses a bad environment naming the variable value', () => {
    expect(() =>
      brokerConfigFromEnv({ AWS_REGION: 'us-east-1', SHADOWSCALE_BUILD_DEADLINE_FACTOR: 'soon' }),
    ).toThrow(/deadlineFactor/);
  });
});
