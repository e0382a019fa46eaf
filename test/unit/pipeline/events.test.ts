import { ValidationError } from '../../../shared/errors';
import { applyStageEvent, parsePipelineEvent } from '../../../shared/pipeline/events';
import { readFixture } from '../../helpers/fixtures';

// Sample events follow the shapes in the AWS documentation (CodePipeline and CodeBuild EventBridge events).
const load = (name: string): Record<string, unknown> => JSON.parse(readFixture('events', `${name}.json`));
const NOW = Date.UTC(2026, 0, 1);

describe('pipeline and build events', () => {
  it('a stage run: STARTED then SUCCEEDED gives its duration; replaying or reordering changes nothing', () => {
    const started = parsePipelineEvent(load('codepipeline-stage-started'));
    const done = parsePipelineEvent(load('codepipeline-stage-succeeded'));

    const record = applyStageEvent(applyStageEvent(undefined, started, NOW), done, NOW);
    const reordered = applyStageEvent(applyStageEvent(undefined, done, NOW), started, NOW);

    expect(record).toMatchObject({
      kind: 'pipeline-stage',
      pk: 'pipeline#myPipeline#Prod',
      sk: '12345678-1234-5678-abcd-12345678abcd',
      state: 'SUCCEEDED',
      result: 'SUCCEEDED',
      startedAt: Date.parse('2020-01-24T22:03:07Z'),
      durationSeconds: 750,
    });
    expect(applyStageEvent(record, done, NOW)).toEqual(record);
    expect({ ...reordered, lastEventId: '' }).toEqual({ ...record, lastEventId: '' });
  });

  it('an action run records its provider and result', () => {
    const record = applyStageEvent(undefined, parsePipelineEvent(load('codepipeline-action-failed')), NOW);
    expect(record).toMatchObject({
      kind: 'pipeline-action',
      pk: 'pipeline#myPipeline#Deploy#Deploy',
      provider: 'StepFunctions',
      result: 'FAILED',
    });
  });

  it('a build: queue time from the QUEUED phase, phase durations, total duration from the build start', () => {
    const phase = applyStageEvent(undefined, parsePipelineEvent(load('codebuild-phase-change')), NOW);
    expect(phase).toMatchObject({ kind: 'build', state: 'IN_PROGRESS', phases: { BUILD: 28 } });
    expect(phase.result).toBeUndefined();

    const build = applyStageEvent(phase, parsePipelineEvent(load('codebuild-build-succeeded')), NOW);
    expect(build).toMatchObject({
      pk: 'build#my-sample-project',
      result: 'SUCCEEDED',
      queuedSeconds: 12,
      phases: { SUBMITTED: 0, QUEUED: 12, PROVISIONING: 72, BUILD: 28 },
      startedAt: Date.UTC(2017, 8, 1, 16, 12, 29),
      durationSeconds: 119,
    });
  });

  it.each<[string, string, (e: Record<string, unknown>) => void, RegExp]>([
    [
      'stage without execution id',
      'codepipeline-stage-started',
      (e) => {
        delete (e.detail as Record<string, unknown>)['execution-id'];
      },
      /field `detail.execution-id` missing/,
    ],
    [
      'unknown stage state',
      'codepipeline-stage-started',
      (e) => {
        (e.detail as Record<string, unknown>).state = 'DONE';
      },
      /field `detail.state` = "DONE"/,
    ],
    [
      'bad time',
      'codebuild-build-succeeded',
      (e) => {
        e.time = 'yesterday';
      },
      /field `time` = "yesterday"/,
    ],
    [
      'bad account',
      'codebuild-phase-change',
      (e) => {
        e.account = '42';
      },
      /field `account` = "42": must be a 12-digit account id/,
    ],
    [
      'negative phase duration',
      'codebuild-phase-change',
      (e) => {
        (e.detail as Record<string, unknown>)['completed-phase-duration-seconds'] = -1;
      },
      /field `detail.completed-phase-duration-seconds` = -1/,
    ],
    [
      'another event type',
      'codebuild-phase-change',
      (e) => {
        e['detail-type'] = 'EC2 Instance State-change Notification';
      },
      /field `detail-type`/,
    ],
  ])('malformed (%s) is refused naming the field', (_name, fixture, mutate, message) => {
    const event = load(fixture);
    mutate(event);
    expect(() => parsePipelineEvent(event)).toThrow(ValidationError);
    expect(() => parsePipelineEvent(event)).toThrow(message);
  });
});
