import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { formatForecasterBench, runForecasterBench } from '../../../bench/forecaster';
import { runForecast } from '../../../functions/forecast/core';
import { EVENT_BUS_ENV } from '../../../functions/runtime/events';
import { CloudWatchMetricsSource, createCloudWatchClient } from '../../../shared/aws/cloudwatch-metrics';
import { createEventBridgeClient, EventBridgePublisher } from '../../../shared/aws/eventbridge';
import { systemClock } from '../../../shared/clock';
import type { ForecastRunResult } from '../../../shared/forecaster';
import type { EventPublisher, PublishResult } from '../../../shared/ports/events';
import type { ShadowscaleEvent } from '../../../shared/schemas/events';
import { MemoryEventPublisher } from '../../../shared/sim/memory-events';
import { CliExit, type CliIO } from '../context';
import { parsePositiveInt, parseWorkloadId } from '../options';
import { benchCommand } from './bench-forecast';
import { type TableOptions, withRepositories, withTableOptions } from './workloads';

/** Keeps what made it onto the bus, in order, to print it. */
class RecordingPublisher implements EventPublisher {
  readonly published: ShadowscaleEvent[] = [];
  constructor(private readonly inner: EventPublisher) {}
  async publish(events: readonly ShadowscaleEvent[]): Promise<PublishResult> {
    const result = await this.inner.publish(events);
    const failed = new Set(result.failed.map((f) => f.event));
    this.published.push(...events.filter((e) => !failed.has(e)));
    return result;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

function describeEvent(event: ShadowscaleEvent): string {
  switch (event.detailType) {
    case 'Forecast Computed':
      return `score ${event.detail.contentionScore.toFixed(4)}; ${event.detail.metrics.map((m) => `${m.metric} ${m.model} peak p50 ${m.peakP50.toFixed(1)}`).join(', ')}`;
    case 'Contention Predicted':
      return `score ${event.detail.score.toFixed(4)} >= ${event.detail.threshold}; shortage at ${iso(event.detail.shortageAt)}; peak ${event.detail.peakUnits.toFixed(1)} units vs max ${event.detail.primaryMaxUnits}; shadow ${event.detail.recommendedShadowUnits} units`;
    case 'Contention Cleared':
      return `score ${event.detail.score.toFixed(4)} <= ${event.detail.clearThreshold}`;
    default:
      return JSON.stringify(event.detail);
  }
}

function report(io: CliIO, result: ForecastRunResult, published: readonly ShadowscaleEvent[]): void {
  for (const event of published) {
    io.out(
      `published  ${event.detailType.padEnd(20)}  ${String(event.detail.workloadId ?? '').padEnd(24)}  ${describeEvent(event)}\n`,
    );
  }
  for (const f of result.publishFailures) {
    io.out(`NOT published  ${f.detailType.padEnd(20)}  ${f.workloadId.padEnd(24)}  ${f.error}\n`);
  }
  for (const o of result.outcomes) {
    if (o.status === 'ok') continue;
    const why = o.error
      ? `${o.error.name}: ${o.error.message}`
      : o.metrics
          .filter((m) => m.error)
          .map((m) => `${m.metric}: ${m.error?.name}: ${m.error?.message}`)
          .join('; ');
    io.out(`${o.status.padEnd(9)}  ${o.workloadId.padEnd(24)}  ${why}\n`);
  }
  io.out(
    `forecast: ${result.workloads} workload(s): ok ${result.ok}, degraded ${result.degraded}, failed ${result.failed}; ${result.series} series; ${result.eventsPublished} event(s) published, ${result.publishFailures.length} not published\n`,
  );
}

/**
 * `shadowscale forecaster run`: the forecast Lambda's code (functions/forecast/core.ts) run once
 * here, against whatever the SDK is configured for (AWS, or `AWS_ENDPOINT_URL`): workloads and
 * predictions in DynamoDB, history from CloudWatch, events to EventBridge (or, with --dry-run,
 * an in-memory bus). Also `shadowscale bench forecaster`.
 */
export function registerForecaster(program: Command, io: CliIO): void {
  const group = program.command('forecaster').description('the forecaster Lambda, run from here');
  withTableOptions(
    group
      .command('run')
      .description(
        'forecast registered workloads once with the forecast handler code, against the SDK configuration (AWS or AWS_ENDPOINT_URL), and print what was published',
      )
      .addOption(
        new Option('--workload <id>', 'only this workload (repeat for several)')
          .argParser((v: string, prev: string[]) => [...prev, parseWorkloadId(v)])
          .default([] as string[], 'every registered workload'),
      )
      .option('--full-refit', 'refit every model from full history instead of updating incrementally')
      .option('--bus <name>', `EventBridge bus name or ARN (default $${EVENT_BUS_ENV}, else the default bus)`)
      .option(
        '--dry-run',
        'validate and print events without putting them on EventBridge (DynamoDB is still written)',
      )
      .option('--json', 'print the full result as JSON instead of lines'),
  ).action((opts: ForecasterRunOptions) => forecasterRun(io, opts));

  benchCommand(program)
    .command('forecaster')
    .description(
      'one forecaster tick over a simulated estate: incremental pass over every series, series/s per core and peak RSS',
    )
    .option('--workloads <n>', 'workloads in the estate', parsePositiveInt, 10_000)
    .option('--metrics <n>', 'metrics per workload', parsePositiveInt, 3)
    .option(
      '--templates <n>',
      'distinct fitted model states the series are cloned from',
      parsePositiveInt,
      12,
    )
    .option('--json <file>', 'also write the result as JSON')
    .action((opts: ForecasterBenchOptions) => forecasterBench(io, opts));
}

type ForecasterRunOptions = {
  workload: string[];
  fullRefit?: boolean;
  bus?: string;
  dryRun?: boolean;
  json?: boolean;
} & TableOptions;

/** `forecaster run`: one pass of the forecast core over the configured AWS (or endpoint). */
async function forecasterRun(io: CliIO, opts: ForecasterRunOptions): Promise<void> {
  const busName = opts.bus ?? process.env[EVENT_BUS_ENV];
  const cloudWatch = createCloudWatchClient();
  const eventBridge = createEventBridgeClient();
  try {
    const inner: EventPublisher = opts.dryRun
      ? new MemoryEventPublisher()
      : new EventBridgePublisher(eventBridge, busName ? { busName } : {});
    const events = new RecordingPublisher(inner);
    const result = await withRepositories(opts, (repositories) =>
      runForecast(
        {
          fullRefit: opts.fullRefit === true,
          ...(opts.workload.length > 0 ? { workloadIds: opts.workload } : {}),
        },
        { clock: systemClock, repositories, metrics: new CloudWatchMetricsSource(cloudWatch), events },
        {
          onProgress: (done) => {
            if (!io.isTTY) io.err(`forecaster: ${done} workload(s) done\n`);
            else io.err(`\rforecaster: ${done} workload(s) done`);
          },
        },
      ),
    );
    if (io.isTTY) io.err('\n');
    if (opts.json) io.out(`${JSON.stringify({ ...result, published: events.published }, null, 2)}\n`);
    else report(io, result, events.published);
    if (result.failed > 0 || result.publishFailures.length > 0)
      throw new CliExit(
        1,
        `${result.failed} workload(s) failed, ${result.publishFailures.length} event(s) not published`,
      );
  } finally {
    cloudWatch.destroy();
    eventBridge.destroy();
  }
}

interface ForecasterBenchOptions {
  workloads: number;
  metrics: number;
  templates: number;
  json?: string;
}

/** `bench forecaster`: one tick over a simulated estate, with progress on stderr. */
async function forecasterBench(io: CliIO, opts: ForecasterBenchOptions): Promise<void> {
  if (opts.metrics > 20) throw new CliExit(2, `--metrics ${opts.metrics}: a workload has at most 20 metrics`);
  let lastLine = 0;
  const result = await runForecasterBench({
    workloads: opts.workloads,
    metrics: opts.metrics,
    templates: opts.templates,
    onProgress: (phase, done, total) => {
      if (io.isTTY) {
        io.err(`\r${phase}: ${done}/${total}`);
        if (done === total) io.err('\n');
      } else if (done === total || done - lastLine >= Math.max(1, Math.floor(total / 5))) {
        lastLine = done === total ? 0 : done;
        io.err(`bench forecaster: ${phase} ${done}/${total}\n`);
      }
    },
  });
  io.out(formatForecasterBench(result));
  if (opts.json) writeFileSync(resolve(opts.json), `${JSON.stringify(result, null, 2)}\n`);
}
