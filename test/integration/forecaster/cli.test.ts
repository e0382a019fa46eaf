import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import type { CliIO } from '../../../bin/cli/context';
import { main } from '../../../bin/cli/main';
import { makeDynamoRepositories } from '../../../shared/data/repositories';
import { useDynamo } from '../../helpers/dynamo';
import { workload } from '../../unit/forecaster/helpers';

jest.setTimeout(120_000);

const cw = mockClient(CloudWatchClient);
const eb = mockClient(EventBridgeClient);
const DAY = 86_400_000;

/** Every series at a level keyed by its first dimension; nothing for keys not listed. */
const levels = new Map<string, number>();
function answer(input: GetMetricDataCommandInput) {
  const end = input.EndTime?.getTime() ?? 0;
  const start = Math.max(input.StartTime?.getTime() ?? 0, end - 2 * DAY);
  return {
    MetricDataResults: (input.MetricDataQueries ?? []).map((q) => {
      const level = levels.get(q.MetricStat?.Metric?.Dimensions?.[0]?.Value ?? '');
      const times: Date[] = [];
      for (let t = start; level !== undefined && t < end; t += 300_000) times.push(new Date(t));
      return {
        Id: q.Id,
        Timestamps: times,
        Values: times.map((_, i) => (level ?? 0) * (1 + 0.01 * (i % 7))),
        StatusCode: 'Complete' as const,
      };
    }),
  };
}

function buffers(): CliIO & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    isTTY: false,
    stdout: () => out,
    stderr: () => err,
  };
}

describe('shadowscale forecaster run (DynamoDB local, mocked CloudWatch and EventBridge)', () => {
  const dynamo = useDynamo('forecaster-cli');
  const saved = { ...process.env };
  let prefix = '';

  beforeAll(async () => {
    const { client, names, endpoint } = dynamo();
    prefix = names.workloads.replace(/-workloads$/, '');
    process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
    const repos = makeDynamoRepositories({ client, names });
    for (const id of ['cli-calm', 'cli-hot', 'cli-quiet']) {
      await repos.workloads.create(
        workload(id, (w) => {
          const [requests, cpu] = w.metrics;
          if (requests) requests.dimensions = { TargetGroup: `${id}-requests` };
          if (cpu) cpu.dimensions = { ServiceName: `${id}-cpu` };
        }),
      );
    }
    levels.set('cli-calm-requests', 30_000).set('cli-calm-cpu', 300);
    levels.set('cli-hot-requests', 130_000).set('cli-hot-cpu', 300);
    levels.set('cli-quiet-requests', 30_000); // cli-quiet-cpu publishes nothing
  });
  beforeEach(() => {
    cw.reset();
    eb.reset();
    cw.on(GetMetricDataCommand).callsFake(answer);
    eb.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })),
    }));
  });
  afterAll(() => {
    process.env = { ...saved };
  });

  it('--dry-run forecasts the named workload and prints what it would publish, touching no bus', async () => {
    const io = buffers();

    const code = await main(
      [
        'node',
        'shadowscale',
        'forecaster',
        'run',
        '--table-prefix',
        prefix,
        '--workload',
        'cli-hot',
        '--dry-run',
      ],
      io,
    );

    expect(code).toBe(0);
    expect(io.stdout()).toMatch(/^published {2}Forecast Computed\s+cli-hot\s+score 0\.\d+/m);
    expect(io.stdout()).toMatch(
      /^published {2}Contention Predicted\s+cli-hot\s+score .* shortage at 20\d\d-.*shadow \d+ units$/m,
    );
    expect(io.stdout()).toMatch(
      /forecast: 1 workload\(s\): ok 1, degraded 0, failed 0; 2 series; 2 event\(s\) published/,
    );
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(io.stderr()).toMatch(/forecaster: 1 workload\(s\) done/);
  });

  it('puts events on the configured bus and exits 1 naming the workload that failed', async () => {
    const io = buffers();

    const code = await main(
      ['node', 'shadowscale', 'forecaster', 'run', '--table-prefix', prefix, '--bus', 'ops-bus'],
      io,
    );

    expect(code).toBe(1);
    const entries = eb.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(entries.every((e) => e.EventBusName === 'ops-bus')).toBe(true);
    // cli-hot's contention was already recorded by the dry run: no second Contention Predicted.
    expect(entries.map((e) => e.DetailType)).toEqual(['Forecast Computed', 'Forecast Computed']);
    expect(io.stdout()).toMatch(/^failed {5}cli-quiet\s+NoDataError: metric cpu/m);
    expect(io.stderr()).toMatch(/1 workload\(s\) failed, 0 event\(s\) not published/);
  });

  it('exits 2 naming the flag for a bad workload id', async () => {
    const io = buffers();
    const code = await main(['node', 'shadowscale', 'forecaster', 'run', '--workload', 'Bad_Id'], io);
    expect(code).toBe(2);
    expect(io.stderr()).toMatch(/--workload <id>' argument 'Bad_Id' is invalid/);
  });
});
