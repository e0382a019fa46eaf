import { type Command, InvalidArgumentError, Option } from 'commander';
import { systemClock } from '../../../shared/clock';
import type { StageForecast } from '../../../shared/pipeline/forecast';
import { deploymentOperationId, StageName } from '../../../shared/pipeline/input';
import { predictFromStore } from '../../../shared/pipeline/tasks';
import { WorkloadId } from '../../../shared/schemas/common';
import type { CliIO } from '../context';
import { parseChoice, parseNonNegativeInt, parsePositiveInt } from '../options';
import { type TableOptions, withRepositories, withTableOptions } from './workloads';

function zodArg<T>(schema: {
  safeParse(
    v: unknown,
  ): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } };
}) {
  return (value: string): T => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new InvalidArgumentError(`${parsed.error.issues[0]?.message ?? 'invalid'}.`);
    return parsed.data;
  };
}

interface PredictOptions extends TableOptions {
  workload: string;
  stage: string;
  deploySeconds?: number;
  bakeSeconds?: number;
  mode?: 'auto' | 'branch' | 'primary';
  json?: boolean;
}

/** One line of the decision, then the deficit of each critical metric. */
export function formatStageForecast(f: StageForecast): string {
  const lines = [
    `${f.workloadId} / ${f.stage}: ${f.branch ? 'BRANCH' : 'primary'} (score ${f.score.toFixed(3)})`,
    `  ${f.reason}`,
    `  window ${new Date(f.windowStartMs).toISOString()} .. ${new Date(f.windowEndMs).toISOString()}${f.inFlightUnits > 0 ? `, ${f.inFlightUnits} units held by other deployments` : ''}`,
    ...f.deficits.map(
      (d) =>
        `  ${d.metric}: peak ${Math.round(d.peakDemand)} / capacity ${Math.round(d.capacity)} -> deficit ${(d.deficit * 100).toFixed(1)}%`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

export function registerPipeline(program: Command, io: CliIO): void {
  const pipeline = program
    .command('pipeline')
    .description('Deploy-time branching: the contention a pipeline stage would deploy into');
  withTableOptions(
    pipeline
      .command('predict')
      .description(
        "Score a stage's target environment over the deployment window (deploy + bake) from the stored forecasts and in-flight deployments, and say whether pipeline-branch would branch",
      )
      .requiredOption('--workload <id>', 'registered workload id', zodArg(WorkloadId))
      .requiredOption('--stage <name>', 'pipeline stage name', zodArg(StageName))
      .addOption(
        new Option(
          '--deploy-seconds <n>',
          "deployment duration (default: the workload's deployment.deploySeconds)",
        ).argParser(parsePositiveInt),
      )
      .addOption(
        new Option(
          '--bake-seconds <n>',
          "bake after the deployment (default: the workload's deployment.bakeSeconds)",
        ).argParser(parseNonNegativeInt),
      )
      .addOption(
        new Option(
          '--mode <mode>',
          'auto, or force branch / primary (as the execution input does)',
        ).argParser(parseChoice(['auto', 'branch', 'primary'] as const)),
      )
      .option('--json', 'print the forecast as JSON'),
  ).action(async (opts: PredictOptions) => {
    const forecast = await withRepositories(opts, (repositories) =>
      predictFromStore(
        { repositories, clock: systemClock },
        {
          workloadId: opts.workload,
          stage: opts.stage,
          // Not a real deployment: no operation of its own to leave out of the in-flight ones.
          operationId: deploymentOperationId({
            workloadId: opts.workload,
            stage: opts.stage,
            version: 'predict',
          }),
          mode: opts.mode ?? 'auto',
          ...(opts.deploySeconds !== undefined ? { deploySeconds: opts.deploySeconds } : {}),
          ...(opts.bakeSeconds !== undefined ? { bakeSeconds: opts.bakeSeconds } : {}),
        },
      ),
    );
    io.out(opts.json ? `${JSON.stringify(forecast)}\n` : formatStageForecast(forecast));
  });
}
