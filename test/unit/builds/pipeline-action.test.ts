import type { Context } from 'aws-lambda';
import { resetBrokerConfig } from '../../../functions/build-broker/handlers';
import { handler } from '../../../functions/build-broker/pipeline-action';
import { resetRuntime, setRuntime } from '../../../functions/runtime';
import { setBuildProfileStore } from '../../../functions/runtime/build-profiles';
import { setBuildStarter, setBuildStatusReader } from '../../../functions/runtime/build-starter';
import { setPipelineJobReporter } from '../../../functions/runtime/pipeline-jobs';
import { ManualClock } from '../../../shared/clock';
import { MemoryBuildStarter } from '../../../shared/sim/build-starter';
import { MemoryBuildProfileStore } from '../../../shared/sim/memory-build-profiles';
import { MemoryPipelineJobs } from '../../../shared/sim/pipeline-jobs';
import { readFixture } from '../../helpers/fixtures';

// After the CodePipeline User Guide's example invoke event (test/fixtures/events/README.md).
const load = (): Record<string, unknown> => JSON.parse(readFixture('events', 'codepipeline-job-invoke.json'));
const context = {
  functionName: 'BuildPipelineAction',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

let starter: MemoryBuildStarter;
let jobs: MemoryPipelineJobs;
const env = process.env.AWS_REGION;
beforeEach(() => {
  process.env.AWS_REGION = 'us-east-1';
  resetBrokerConfig();
  const clock = new ManualClock(Date.UTC(2026, 2, 2, 10));
  setRuntime({ clock });
  setBuildProfileStore(new MemoryBuildProfileStore(clock));
  starter = new MemoryBuildStarter(clock, new Set(['checkout-tests']));
  jobs = new MemoryPipelineJobs();
  setBuildStarter(starter);
  setBuildStatusReader(starter);
  setPipelineJobReporter(jobs);
});
afterEach(() => {
  setBuildStarter(undefined);
  setBuildStatusReader(undefined);
  setPipelineJobReporter(undefined);
  setBuildProfileStore(undefined);
  resetRuntime();
  resetBrokerConfig();
  process.env.AWS_REGION = env;
});

describe('the BuildPipelineAction handler', () => {
  it('starts the sized build for the documented invoke event and reports a continuation', async () => {
    // Act
    const result = await handler(load(), context);
    // Assess
    expect(result).toMatchObject({
      jobId: '11111111-abcd-1111-abcd-111111abcdef',
      outcome: 'continue',
      started: true,
      pipeline: 'checkout',
      stage: 'Test/Integration',
    });
    expect(starter.builds).toHaveLength(1);
    expect(jobs.reports).toEqual([
      expect.objectContaining({ outcome: 'success', continuationToken: expect.any(String) }),
    ]);
  });

  it('reads a null continuation token as the first invocation', async () => {
    const event = load();
    const job = event['CodePipeline.job'] as { data: Record<string, unknown> };
    job.data.continuationToken = null;
    await expect(handler(event, context)).resolves.toMatchObject({ outcome: 'continue', started: true });
  });
});
