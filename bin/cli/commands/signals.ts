import { type Command, Option } from 'commander';
import { z } from 'zod';
import { ValidationError } from '../../../shared/errors';
import { Signal } from '../../../shared/schemas/signal';
import { parseOrThrow } from '../../../shared/validation';
import type { CliIO } from '../context';
import { readJsonFile } from '../io';
import { parseInstant } from '../options';
import { formatTable, iso, type TableOptions, withRepositories, withTableOptions } from './workloads';

const DAY = 86_400_000;

/** `shadowscale signals add|list`: scheduled external events (deployments, campaigns, matches). */
export function registerSignals(program: Command, io: CliIO): void {
  const signals = program.command('signals').description('add and list scheduled external events');

  withTableOptions(
    signals
      .command('add')
      .description('validate a signal file (one signal or an array) and store it; idempotent on signalId')
      .requiredOption('--file <path>', 'signal(s) (JSON)'),
  ).action((opts: { file: string } & TableOptions) => addSignals(io, opts));

  withTableOptions(
    signals
      .command('list')
      .description('list signals overlapping a window, by tag or for a workload (its own and its tags)')
      .option('--tag <tag>', 'signals with this tag')
      .option('--workload <id>', 'signals for this workload')
      .option('--tags <list>', 'with --workload: the tags it listens to, comma separated', (v: string) =>
        v
          .split(',')
          .map((t) => t.trim())
          .filter((t) => t !== ''),
      )
      .addOption(
        new Option('--from <time>', 'window start (ISO 8601 or epoch ms; default now - 1 day)').argParser(
          parseInstant,
        ),
      )
      .addOption(
        new Option('--to <time>', 'window end (ISO 8601 or epoch ms; default from + 8 days)').argParser(
          parseInstant,
        ),
      )
      .option('--json', 'print JSON lines instead of a table'),
  ).action((opts: SignalListOptions) => listSignals(io, opts));
}

type SignalListOptions = {
  tag?: string;
  workload?: string;
  tags?: string[];
  from?: number;
  to?: number;
  json?: boolean;
} & TableOptions;

/** `signals add`: validate the file (one signal or an array), store each (idempotent on signalId). */
async function addSignals(io: CliIO, opts: { file: string } & TableOptions): Promise<void> {
  const raw = readJsonFile(opts.file, '--file');
  const parsed = Array.isArray(raw)
    ? parseOrThrow(z.array(Signal).min(1), raw, `signal file ${opts.file}`)
    : [parseOrThrow(Signal, raw, `signal file ${opts.file}`)];
  await withRepositories(opts, async (repos) => {
    for (const signal of parsed) await repos.signals.put(signal);
  });
  for (const s of parsed)
    io.out(
      `stored signal "${s.signalId}" (tag ${s.tag}${s.workloadId ? `, workload ${s.workloadId}` : ''}, ${iso(s.startsAt)} to ${iso(s.endsAt)})\n`,
    );
}

/** `signals list`: signals overlapping the window, by tag or for a workload; a table or JSON lines. */
async function listSignals(io: CliIO, opts: SignalListOptions): Promise<void> {
  if ((opts.tag === undefined) === (opts.workload === undefined))
    throw new ValidationError('signals list: give exactly one of --tag or --workload', [
      { path: '--tag', message: 'exactly one of --tag or --workload', received: opts.tag },
    ]);
  const from = opts.from ?? Date.now() - DAY;
  const to = opts.to ?? from + 8 * DAY;
  if (to <= from)
    throw new ValidationError(`--to ${iso(to)} must be after --from ${iso(from)}`, [
      { path: '--to', message: 'must be after --from', received: to },
    ]);
  const found = await withRepositories(opts, (repos) =>
    opts.tag !== undefined
      ? repos.signals.byTag(opts.tag, from, to)
      : repos.signals.forWorkload(opts.workload as string, opts.tags ?? [], from, to),
  );
  if (opts.json) {
    for (const s of found) io.out(`${JSON.stringify(s)}\n`);
    return;
  }
  if (found.length === 0) {
    io.out(`no signals between ${iso(from)} and ${iso(to)}\n`);
    return;
  }
  io.out(
    formatTable(
      ['SIGNAL', 'TAG', 'WORKLOAD', 'STARTS', 'ENDS', 'UPLIFT', 'SOURCE'],
      found.map((s) => [
        s.signalId,
        s.tag,
        s.workloadId ?? '(by tag)',
        iso(s.startsAt),
        iso(s.endsAt),
        s.expectedUplift === undefined ? 'learned' : `${Math.round(s.expectedUplift * 100)}%`,
        s.source,
      ]),
    ),
  );
}
