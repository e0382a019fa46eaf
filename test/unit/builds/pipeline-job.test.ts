import { brokerConfigFromEnv } from '../../../functions/build-broker/core';
import { runPipelineJob } from '../../../functions/build-broker/pipeline-job';
import {
  continuationTokenOf,
  failureOfError,
  stepOfBuild,
  unreadStep,
} from '../../../shared/builds/pipeline-job';
import { ManualClock } from '../../../shared/clock';
import {
  ConfigError,
  ConflictError,
  NotFoundError,
  TransientError,
  ValidationError,
} from '../../../shared/errors';
import type { BuildStatus } from '../../../shared/ports/builds';
import { MemoryBuildStarter } from '../../../shared/sim/build-starter';
import { MemoryBuildProfileStore } from '../../../shared/sim/memory-build-profiles';
import { MemoryPipelineJobs } from '../../../shared/sim/pipeline-jobs';

const config = brokerConfigFromEnv({ AWS_REGION: 'us-east-1' });
const PARAMS = {
  projectName: 'checkout-tests',
  pipeline: 'checkout',
  stage: 'Test',
  sourceVersion: 'abc123',
  runContext: { changeKey: 'main' },
};
const RUN = {
  v: 1 as const,
  pipeline: 'checkout',
  stage: 'Test',
  runId: 'job-1',
  buildId: 'checkout-tests:0001',
  computeType: 'BUILD_GENERAL1_MEDIUM',
};

/** A CodePipeline invoke event (the documented example's shape, credentials included). */
function jobEvent(id: string, userParameters: string | undefined, continuationToken?: string): unknown {
  return {
    'CodePipeline.job': {
      id,
      accountId: '111111111111',
      data: {
        actionConfiguration: {
          configuration: {
            FunctionName: 'shadowscale-pipeline-action',
            ...(userParameters !== undefined ? { UserParameters: userParameters } : {}),
          },
        },
        inputArtifacts: [],
        outputArtifacts: [],
        artifactCredentials: { accessKeyId: 'AKIA', secretAccessKey: 'secret', sessionToken: 'token' },
        ...(continuationToken !== undefined ? { continuationToken } : {}),
      },
    },
  };
}

function setup() {
  const clock = new ManualClock(Date.parse('2026-03-02T10:00:00Z'));
  const store = new MemoryBuildProfileStore(clock);
  const starter = new MemoryBuildStarter(clock, new Set(['checkout-tests']));
  const jobs = new MemoryPipelineJobs();
  return { store, starter, jobs, deps: { clock, store, config, starter, statuses: starter, jobs } };
}

describe('stepOfBuild', () => {
  it('keeps a running build going with the same token', () => {
    // Act
    const step = stepOfBuild(RUN, { id: RUN.buildId, status: 'IN_PROGRESS', phase: 'BUILD' });
    // Assess
    expect(step).toEqual({
      outcome: 'continue',
      success: expect.objectContaining({
        continuationToken: continuationTokenOf(RUN),
        externalExecutionId: RUN.buildId,
        summary: expect.stringContaining('running in phase BUILD'),
      }),
    });
  });

  it('ends a succeeded build without a token, with the build id and compute type as variables', () => {
    const step = stepOfBuild(RUN, { id: RUN.buildId, status: 'SUCCEEDED' });
    expect(step.outcome).toBe('succeeded');
    expect(step).toMatchObject({
      success: {
        externalExecutionId: RUN.buildId,
        outputVariables: { BuildId: RUN.buildId, ComputeType: 'BUILD_GENERAL1_MEDIUM' },
      },
    });
    expect(step.outcome === 'succeeded' && step.success.continuationToken).toBe(undefined);
  });

  it.each<[BuildStatus]>([['FAILED'], ['FAULT'], ['TIMED_OUT'], ['STOPPED']])(
    'fails the job for a build that ended %s, naming the status and the build',
    (status) => {
      const step = stepOfBuild(RUN, { id: RUN.buildId, status, phase: 'BUILD' });
      expect(step).toEqual({
        outcome: 'failed',
        failure: {
          type: 'JobFailed',
          message: expect.stringMatching(new RegExp(`checkout-tests:0001 .*ended ${status} in phase BUILD`)),
          externalExecutionId: RUN.buildId,
        },
      });
    },
  );

  it('keeps polling when the status could not be read for a passing reason', () => {
    expect(unreadStep(RUN, 'throttled')).toMatchObject({
      outcome: 'continue',
      success: { continuationToken: continuationTokenOf(RUN) },
    });
  });
});

describe('failureOfError', () => {
  it.each([
    [new ValidationError('UserParameters: field `projectName` missing'), 'ConfigurationError'],
    [new NotFoundError('no such project'), 'ConfigurationError'],
    [new ConfigError('not allowed'), 'ConfigurationError'],
    [new TransientError('throttled'), 'SystemUnavailable'],
    [new Error('boom'), 'JobFailed'],
  ])('%s → %s', (error, type) => {
    expect(failureOfError(error)).toEqual({ type, message: `${error.name}: ${error.message}` });
  });
});

describe('runPipelineJob', () => {
  it('starts the sized build on the first invocation and asks to be invoked again', async () => {
    // Prepare
    const { store, starter, jobs, deps } = setup();
    // Act
    const result = await runPipelineJob(jobEvent('job-1', JSON.stringify(PARAMS)), deps);
    // Assess: one build, recorded on the run's allocation, a continuation naming it.
    expect(starter.builds).toHaveLength(1);
    const [build] = starter.builds;
    expect(build).toMatchObject({ projectName: 'checkout-tests', sourceVersion: 'abc123' });
    expect(result).toMatchObject({ outcome: 'continue', reported: true, started: true, runId: 'job-1' });
    expect((await store.getAllocation('checkout', 'Test', 'job-1'))?.build?.id).toBe(build?.id);
    expect(jobs.reports).toEqual([
      expect.objectContaining({
        jobId: 'job-1',
        outcome: 'success',
        externalExecutionId: build?.id,
        continuationToken: continuationTokenOf({
          pipeline: 'checkout',
          stage: 'Test',
          runId: 'job-1',
          buildId: build?.id ?? '',
          computeType: build?.computeType ?? '',
        }),
      }),
    ]);
  });

  it('follows a build it started but could not record, instead of failing the job and orphaning it', async () => {
    // Prepare: the store cannot record the build id.
    const { store, starter, jobs, deps } = setup();
    const failing = Object.assign(Object.create(store) as MemoryBuildProfileStore, {
      setBuild: async () => {
        throw new TransientError('DynamoDB throttled');
      },
    });
    // Act
    const result = await runPipelineJob(jobEvent('job-1', JSON.stringify(PARAMS)), {
      ...deps,
      store: failing,
    });
    // Assess: one build, and the job continues with a token naming it.
    expect(starter.builds).toHaveLength(1);
    expect(result).toMatchObject({ outcome: 'continue', started: true, buildId: starter.builds[0]?.id });
    expect(jobs.reports).toEqual([
      expect.objectContaining({ outcome: 'success', continuationToken: expect.any(String) }),
    ]);
  });

  it('follows the build through continuation jobs to success', async () => {
    // Prepare
    const { starter, jobs, deps } = setup();
    await runPipelineJob(jobEvent('job-1', JSON.stringify(PARAMS)), deps);
    const token = jobs.reports[0]?.outcome === 'success' ? jobs.reports[0].continuationToken : undefined;
    const buildId = starter.builds[0]?.id ?? '';
    // Act: CodePipeline re-invokes with the token as new jobs.
    const running = await runPipelineJob(jobEvent('job-2', JSON.stringify(PARAMS), token), deps);
    starter.finish(buildId, 'SUCCEEDED');
    const done = await runPipelineJob(jobEvent('job-3', JSON.stringify(PARAMS), token), deps);
    // Assess
    expect(running).toMatchObject({ outcome: 'continue', buildId });
    expect(done).toMatchObject({ outcome: 'succeeded', buildId, runId: 'job-1' });
    expect(jobs.reports.map((r) => [r.jobId, r.outcome, 'continuationToken' in r])).toEqual([
      ['job-1', 'success', true],
      ['job-2', 'success', true],
      ['job-3', 'success', false],
    ]);
    expect(jobs.reports[2]).toMatchObject({ outputVariables: { BuildId: buildId } });
    expect(starter.builds).toHaveLength(1);
  });

  it.each<[Exclude<BuildStatus, 'IN_PROGRESS' | 'SUCCEEDED'>]>([
    ['FAILED'],
    ['FAULT'],
    ['TIMED_OUT'],
    ['STOPPED'],
  ])('fails the job when the build ends %s', async (status) => {
    const { starter, jobs, deps } = setup();
    await runPipelineJob(jobEvent('job-1', JSON.stringify(PARAMS)), deps);
    const token = jobs.reports[0]?.outcome === 'success' ? jobs.reports[0].continuationToken : undefined;
    const buildId = starter.builds[0]?.id ?? '';
    starter.finish(buildId, status);
    const result = await runPipelineJob(jobEvent('job-2', undefined, token), deps);
    expect(result).toMatchObject({ outcome: 'failed', reported: true });
    expect(jobs.reports[1]).toEqual({
      jobId: 'job-2',
      outcome: 'failure',
      type: 'JobFailed',
      message: expect.stringContaining(`ended ${status}`),
      externalExecutionId: buildId,
    });
  });

  it('starts no second build for a redelivered first invocation', async () => {
    // Prepare
    const { starter, jobs, deps } = setup();
    const event = jobEvent('job-1', JSON.stringify(PARAMS));
    await runPipelineJob(event, deps);
    // Act: the same invocation again (Lambda's asynchronous retry).
    const again = await runPipelineJob(event, deps);
    // Assess: the build found, the job already answered.
    expect(starter.builds).toHaveLength(1);
    expect(again).toMatchObject({ outcome: 'continue', started: false, reported: false });
    expect(jobs.reports).toHaveLength(1);
  });

  it('starts a new build for a retried action (a new job)', async () => {
    const { starter, deps } = setup();
    await runPipelineJob(jobEvent('job-1', JSON.stringify(PARAMS)), deps);
    await runPipelineJob(jobEvent('job-9', JSON.stringify(PARAMS)), deps);
    expect(starter.builds).toHaveLength(2);
  });

  it.each([
    ['missing', undefined, /`UserParameters` missing/],
    ['not JSON', '{projectName:', /`UserParameters` = .*not JSON/],
    ['no project', JSON.stringify({ pipeline: 'checkout', stage: 'Test' }), /`projectName` missing/],
    ['a bad project', JSON.stringify({ ...PARAMS, projectName: 'no spaces' }), /`projectName` = "no spaces"/],
    ['a run id of its own', JSON.stringify({ ...PARAMS, runId: 'x' }), /`runId`/],
    [
      'a bad run context',
      JSON.stringify({ ...PARAMS, runContext: { changeScore: 'high' } }),
      /`runContext\.changeScore` = "high"/,
    ],
  ])('fails the job as a configuration error for UserParameters with %s', async (_what, params, pattern) => {
    // Prepare
    const { starter, jobs, deps } = setup();
    // Act
    const result = await runPipelineJob(jobEvent('job-1', params), deps);
    // Assess: no build, one failure naming the field.
    expect(starter.builds).toHaveLength(0);
    expect(result).toMatchObject({ outcome: 'failed', reported: true });
    expect(jobs.reports).toEqual([
      {
        jobId: 'job-1',
        outcome: 'failure',
        type: 'ConfigurationError',
        message: expect.stringMatching(pattern),
      },
    ]);
  });

  it('fails the job naming the project CodeBuild does not know', async () => {
    const { jobs, deps } = setup();
    await runPipelineJob(jobEvent('job-1', JSON.stringify({ ...PARAMS, projectName: 'other-tests' })), deps);
    expect(jobs.reports[0]).toMatchObject({
      outcome: 'failure',
      type: 'ConfigurationError',
      message: expect.stringContaining('"other-tests"'),
    });
  });

  it('fails the job for a continuation token it did not issue, naming the field', async () => {
    const { jobs, deps } = setup();
    await runPipelineJob(jobEvent('job-2', undefined, JSON.stringify({ v: 1, pipeline: 'checkout' })), deps);
    expect(jobs.reports[0]).toMatchObject({
      outcome: 'failure',
      type: 'ConfigurationError',
      message: expect.stringContaining('continuationToken: field `stage` missing'),
    });
  });

  it('keeps polling when CodeBuild throttles the status read', async () => {
    const { jobs, deps } = setup();
    const statuses = {
      status: async () => {
        throw new TransientError('BatchGetBuilds: ThrottlingException');
      },
    };
    const result = await runPipelineJob(jobEvent('job-2', undefined, continuationTokenOf(RUN)), {
      ...deps,
      statuses,
    });
    expect(result).toMatchObject({ outcome: 'continue' });
    expect(jobs.reports[0]).toMatchObject({ continuationToken: continuationTokenOf(RUN) });
  });

  it('rethrows only when the report itself fails, so the invocation is retried', async () => {
    const { jobs, deps } = setup();
    jobs.failNext(new TransientError('PutJobFailureResult: ThrottlingException'));
    await expect(runPipelineJob(jobEvent('job-1', undefined), deps)).rejects.toThrow(TransientError);
  });

  it('treats a job CodePipeline already closed as reported', async () => {
    const { jobs, deps } = setup();
    jobs.failNext(new ConflictError('job closed'));
    await expect(runPipelineJob(jobEvent('job-1', JSON.stringify(PARAMS)), deps)).resolves.toMatchObject({
      reported: false,
    });
  });

  it('throws a ValidationError for an event naming no job (nothing to report to)', async () => {
    const { jobs, deps } = setup();
    await expect(runPipelineJob({ 'CodePipeline.job': {} }, deps)).rejects.toThrow(ValidationError);
    expect(jobs.reports).toEqual([]);
  });
});
