import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { ManualClock } from '../../../shared/clock';
import { makeDynamoRepositories } from '../../../shared/data/repositories';
import type { Prediction } from '../../../shared/schemas/series';
import { Workload } from '../../../shared/schemas/workload';
import { runCli } from '../../helpers/cli';
import { useDynamo } from '../../helpers/dynamo';
import { epochAhead, HOUR_MS } from '../../helpers/epoch';
import { workloadInput } from '../../helpers/fixtures';

jest.setTimeout(120_000);

const MINUTE = 60_000;
const V42 = 'arn:aws:ecs:us-east-1:123456789012:task-definition/checkout-api:42';
const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:shadowscale-pipeline-branch';
// requests capacity of the fixture: 20 units x 6000 x 0.7 = 84 000 per 5 minutes.
const CAP = 84_000;
const T0 = epochAhead(HOUR_MS);

function forecast(id: string, metric: string, values: number[], startMs = T0): Prediction {
  return {
    workloadId: id,
    metric,
    generatedAt: startMs,
    startMs,
    intervalMs: 5 * MINUTE,
    point: values.map((v) => v * 0.8),
    quantiles: [{ q: 0.95, values }],
    model: 'ets',
    confidence: 'high',
    signals: [],
  };
}

describe('shadowscale pipeline branch', () => {
  const dynamo = useDynamo('pipelinecli');
  const saved = { ...process.env };
  let prefix: string;
  beforeEach(() => {
    const { endpoint, names } = dynamo();
    process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
    prefix = names.workloads.replace(/-workloads$/, '');
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  /** A registered workload, contended 10 minutes into the deployment window, or not. */
  async function register(
    id: string,
    patch: (w: ReturnType<typeof workloadInput>) => void = () => {},
    startMs = T0,
  ) {
    const { client, names } = dynamo();
    const repos = makeDynamoRepositories({ client, names, clock: new ManualClock(T0) });
    const input = { ...workloadInput(), workloadId: id };
    input.migration = { ...input.migration, bakeSeconds: 60, healthyTimeoutSeconds: 600 };
    input.deployment = {
      deploySeconds: 600,
      bakeSeconds: 900,
      testRunner: { kind: 'codebuild', projectName: 'checkout-integration-tests' },
    };
    patch(input);
    await repos.workloads.create(Workload.parse(input));
    const requests = Array.from({ length: 48 }, (_, i) => (i === 2 ? CAP * 1.2 : 50_000));
    await repos.predictions.putPrediction(forecast(id, 'requests', requests, startMs));
    await repos.predictions.putPrediction(
      forecast(
        id,
        'cpu',
        Array.from({ length: 48 }, () => 600),
        startMs,
      ),
    );
  }

  it('--local: branches over the simulated fleet, tests pass, traffic steps, merge; the store is not written', async () => {
    await register('cli-branch-ok');

    const r = await runCli(
      'pipeline',
      'branch',
      '--workload',
      'cli-branch-ok',
      '--version',
      V42,
      '--stage',
      'prod',
      '--local',
      '--table-prefix',
      prefix,
    );

    expect(r).toMatchObject({ code: 0 });
    expect(r.out).toBe(`pipeline-branch SUCCEEDED: merged ${V42} to prod\n`);
    expect(r.err).toContain('branch: score');
    expect(r.err).toContain('integration tests passed');
    expect(r.err).toMatch(/traffic step \(primary\/shadow \d+\/\d+\)/);
    expect(r.err).toContain('> Merged');
    const { client, names } = dynamo();
    const repos = makeDynamoRepositories({ client, names, clock: new ManualClock(T0) });
    expect((await repos.operations.listByWorkload('cli-branch-ok')).items).toEqual([]);
  });

  it('--local --tests fail: discards, exit 1 with the reason on one line', async () => {
    await register('cli-branch-fail');
    const r = await runCli(
      'pipeline',
      'branch',
      '--workload',
      'cli-branch-fail',
      '--version',
      V42,
      '--stage',
      'prod',
      '--local',
      '--tests',
      'fail',
      '--table-prefix',
      prefix,
    );
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n').at(-1)).toMatch(
      /^shadowscale: pipeline-branch FAILED: DeploymentDiscarded: deployment of .*:42 to prod discarded: TestsFailed: .*shadow environment deleted\)$/,
    );
  });

  it('--local on an EKS workload: the branch runs the new image over the simulated nodegroups and merges', async () => {
    const image = '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:42';
    await register('cli-branch-eks', (w) => {
      w.compute = {
        kind: 'eks',
        cluster: 'prod-k8s',
        nodegroup: 'web',
        kubernetes: { namespace: 'shop', deployment: 'web' },
      } as never;
    });
    const r = await runCli(
      'pipeline',
      'branch',
      '--workload',
      'cli-branch-eks',
      '--version',
      image,
      '--stage',
      'prod',
      '--local',
      '--table-prefix',
      prefix,
    );
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).toBe(`pipeline-branch SUCCEEDED: merged ${image} to prod\n`);
    expect(r.err).toContain('> Merged');
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    [
      'cli-eks-bare',
      { kind: 'eks', cluster: 'prod-k8s', nodegroup: 'web' },
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:42',
      /an EKS workload needs `compute.kubernetes`/,
    ],
    [
      'cli-eks-taskdef',
      { kind: 'eks', cluster: 'prod-k8s', nodegroup: 'web', kubernetes: { deployment: 'web' } },
      V42,
      /field `version` = ".*": workload cli-eks-taskdef runs on EKS: the version must be a container image/,
    ],
  ])(
    '--local on an EKS workload (%s: no Kubernetes objects, or a task definition): exit 2, the field named',
    async (id, compute, version, message) => {
      await register(id, (w) => {
        w.compute = compute as never;
      });
      const r = await runCli(
        'pipeline',
        'branch',
        '--workload',
        id,
        '--version',
        version,
        '--stage',
        'prod',
        '--local',
        '--table-prefix',
        prefix,
      );
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n').at(-1)).toMatch(message);
    },
  );

  it.each<[string, string[], RegExp]>([
    ['a version that is none', ['--version', 'latest'], /--version.*task definition ARN/],
    ['a bad stage', ['--stage', 'pro d'], /--stage/],
    ['no state machine to start', [], /--state-machine-arn is missing/],
    ['--tests without --local', ['--tests', 'fail'], /--tests: only with --local/],
  ])('bad input (%s): exit 2, one line', async (_name, args, message) => {
    delete process.env.SHADOWSCALE_PIPELINE_STATE_MACHINE_ARN;
    const base = { '--workload': 'w1', '--version': V42, '--stage': 'prod' } as Record<string, string>;
    for (let i = 0; i < args.length; i += 2) base[args[i] as string] = args[i + 1] as string;
    const r = await runCli('pipeline', 'branch', ...Object.entries(base).flat());
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(message);
  });

  it('without --local: StartExecution of the deployed state machine with the validated input, followed to the end', async () => {
    const sfn = mockClient(SFNClient);
    try {
      const executionArn = `${ARN.replace(':stateMachine:', ':execution:')}:run-1`;
      sfn.on(StartExecutionCommand).resolves({ executionArn, startDate: new Date() });
      sfn.on(DescribeExecutionCommand).resolves({
        executionArn,
        stateMachineArn: ARN,
        status: 'SUCCEEDED',
        startDate: new Date(),
        output: JSON.stringify({
          ctx: { workloadId: 'w1' },
          result: { status: 'succeeded', outcome: 'deployed', version: V42, stage: 'prod' },
        }),
      });
      sfn.on(GetExecutionHistoryCommand).resolves({
        events: [
          {
            id: 1,
            timestamp: new Date(),
            type: 'TaskStateEntered',
            stateEnteredEventDetails: { name: 'Validate' },
          },
        ],
      });
      process.env.SHADOWSCALE_PIPELINE_STATE_MACHINE_ARN = ARN;

      const r = await runCli('pipeline', 'branch', '--workload', 'w1', '--version', V42, '--stage', 'prod');

      expect(r).toMatchObject({ code: 0, out: `pipeline-branch SUCCEEDED: deployed ${V42} to prod\n` });
      const sent = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
      expect(sent?.stateMachineArn).toBe(ARN);
      expect(JSON.parse(sent?.input ?? '{}')).toEqual({
        workloadId: 'w1',
        version: V42,
        stage: 'prod',
        trigger: 'cli',
      });
      expect(r.err).toContain('> Validate');
    } finally {
      sfn.restore();
    }
  });

  it('refuses a malformed ARN from the environment, exit 2', async () => {
    process.env.SHADOWSCALE_PIPELINE_STATE_MACHINE_ARN = 'not-an-arn';
    const r = await runCli('pipeline', 'branch', '--workload', 'w1', '--version', V42, '--stage', 'prod');
    expect(r.code).toBe(2);
    expect(r.err).toContain('SHADOWSCALE_PIPELINE_STATE_MACHINE_ARN = "not-an-arn"');
  });

  it('pipeline predict: the stage score, the deficit per metric and the branch decision, text and JSON', async () => {
    // `pipeline predict` scores the window from now: a forecast that starts at the current 5 minutes.
    await register('cli-predict', () => {}, Math.floor(Date.now() / (5 * MINUTE)) * 5 * MINUTE);
    const text = await runCli(
      'pipeline',
      'predict',
      '--workload',
      'cli-predict',
      '--stage',
      'prod',
      '--table-prefix',
      prefix,
    );
    expect(text.err).toBe('');
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/branch/i);
    expect(text.out).toMatch(/requests: peak \d+ \/ capacity \d+ -> deficit [\d.]+%/);
    const json = await runCli(
      'pipeline',
      'predict',
      '--workload',
      'cli-predict',
      '--stage',
      'prod',
      '--mode',
      'primary',
      '--json',
      '--table-prefix',
      prefix,
    );
    expect(json.code).toBe(0);
    const forecast = JSON.parse(json.out) as { branch: boolean; deficits: { metric: string }[] };
    // --mode primary forces the primary whatever the score.
    expect(forecast.branch).toBe(false);
    expect(forecast.deficits.map((d) => d.metric)).toContain('requests');
    const bad = await runCli(
      'pipeline',
      'predict',
      '--workload',
      'cli-predict',
      '--stage',
      'prod',
      '--mode',
      'sideways',
    );
    expect(bad.code).toBe(2);
  });
});
