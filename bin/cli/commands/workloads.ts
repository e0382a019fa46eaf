import { type Command, Option } from 'commander';
import type { SeriesAnomaly } from '../../../shared/anomaly';
import { connectDynamo } from '../../../shared/data';
import { ConflictError, NotFoundError } from '../../../shared/errors';
import type {
  ContentionDecisionRecord,
  ModelStateRecord,
  Repositories,
} from '../../../shared/ports/repositories';
import { correlationOf } from '../../../shared/profile/correlation';
import { HORIZON_BUCKETS, type MetricAccuracy } from '../../../shared/profile/feedback';
import { type MetricFingerprint, shapeOf } from '../../../shared/profile/fingerprint';
import { Workload, type WorkloadRecord } from '../../../shared/schemas/workload';
import { parseOrThrow } from '../../../shared/validation';
import type { CliIO } from '../context';
import { readJsonFile } from '../io';
import { parsePositiveInt, parseTablePrefix } from '../options';

/**
 * `shadowscale workloads register|list|show`. Tables: `--table-prefix`, else the environment
 * (`SHADOWSCALE_<NAME>_TABLE`, `SHADOWSCALE_TABLE_PREFIX`), else `shadowscale-<name>`. Endpoint,
 * region and credentials: the SDK's own configuration (`AWS_ENDPOINT_URL` honoured).
 */
export function registerWorkloads(program: Command, io: CliIO): void {
  const workloads = program.command('workloads').description('register and inspect workload definitions');

  withTableOptions(
    workloads
      .command('register')
      .description(
        'validate a workload definition file and store it (version 1, or the next version with --replace)',
      )
      .requiredOption('--file <path>', 'workload definition (JSON)')
      .option('--replace', 'replace an existing definition (keeps its profile; bumps its version)'),
  ).action((opts: { file: string; replace?: boolean } & TableOptions) => registerWorkload(io, opts));

  withTableOptions(
    workloads
      .command('list')
      .description('list registered workloads')
      .option('--limit <n>', 'show at most this many', parsePositiveInt)
      .option('--json', 'print JSON lines (one record per line) instead of a table'),
  ).action((opts: { limit?: number; json?: boolean } & TableOptions) => listWorkloads(io, opts));

  withTableOptions(
    workloads
      .command('show')
      .description(
        'print one stored workload (definition with defaults, profile, version) as JSON, with its latest anomaly scores, and per metric its behaviour (fingerprint, signal responses, correlation) and forecast accuracy per horizon',
      )
      .argument('<id>', 'workload id'),
  ).action(async (id: string, opts: TableOptions) => {
    await withRepositories(opts, async (repos) => {
      const record = await repos.workloads.get(id);
      if (!record) throw new NotFoundError(`workload "${id}" is not registered`);
      const [decision, states] = await Promise.all([
        repos.predictions.getDecision(id),
        Promise.all(record.workload.metrics.map((m) => repos.predictions.getModelState(id, m.name))),
      ]);
      const behaviour = behaviourSummary(record, states);
      const accuracy = accuracySummary(record);
      io.out(
        `${JSON.stringify({ ...record, anomaly: anomalySummary(decision, states), behaviour, accuracy }, null, 2)}\n`,
      );
    });
  });
}

const r3 = (x: number) => Number(x.toPrecision(3));

/**
 * Per metric, the fingerprint in words and numbers: level, the busiest and quietest UTC hour and
 * weekday (by the unbiased shape), volatility, burstiness, trend, the response to each signal tag,
 * the correlation with each other metric, the model and where a cold start came from. The raw
 * numbers are in `profile`. Fingerprints kept with model states by older forecasters are used
 * until the profile has one.
 */
export function behaviourSummary(
  record: WorkloadRecord,
  states: readonly (ModelStateRecord | undefined)[] = [],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  for (const m of record.workload.metrics) {
    const p = record.profile.metrics?.[m.name];
    const fp: MetricFingerprint | undefined =
      p?.fingerprint ?? states.find((s) => s?.metric === m.name)?.fingerprint;
    if (!fp && !p) continue;
    const entry: Record<string, unknown> = {};
    if (fp) {
      const shape = shapeOf(fp);
      const argOf = (xs: number[], pick: (a: number, b: number) => boolean) =>
        xs.reduce((best, x, i) => (pick(x, xs[best] as number) ? i : best), 0);
      Object.assign(entry, {
        level: r3(fp.level),
        busiestHourUtc: argOf(shape.hourOfDay, (a, b) => a > b),
        quietestHourUtc: argOf(shape.hourOfDay, (a, b) => a < b),
        busiestDay: DAYS[argOf(shape.dayOfWeek, (a, b) => a > b)],
        peakToLevel: r3(Math.max(...shape.hourOfDay)),
        volatility: r3(fp.volatility),
        burstiness: r3(fp.burstiness),
        trendPerDay: r3(fp.trendPerDay),
        points: fp.count,
        asOf: iso(fp.lastPointMs),
        signalResponse: Object.fromEntries(
          Object.entries(fp.signals ?? {}).map(([tag, r]) => [tag, { uplift: r3(r.uplift), points: r.n }]),
        ),
      });
    }
    const correlation: Record<string, number> = {};
    for (const [key, moments] of Object.entries(record.profile.correlation ?? {})) {
      const [a, b] = key.split('|');
      const other = a === m.name ? b : b === m.name ? a : undefined;
      const r = correlationOf(moments);
      if (other !== undefined && r !== null) correlation[other] = r3(r);
    }
    entry.correlation = correlation;
    if (p?.model) entry.model = p.model;
    if (p?.coldStart) entry.coldStart = { ...p.coldStart, at: iso(p.coldStart.at) };
    out[m.name] = entry;
  }
  return out;
}

/**
 * Per metric and horizon, how the stored forecasts did against what happened (running, weighted
 * by the metric's feedback learning rate): error relative to the level, error against what the
 * forecast's own intervals promised, and the share of actuals under its 0.8 and 0.95 quantiles;
 * and the last refit the feedback loop asked for.
 */
export function accuracySummary(record: WorkloadRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of record.workload.metrics) {
    const p = record.profile.metrics?.[m.name];
    const acc: MetricAccuracy | undefined = p?.accuracy;
    if (!acc) continue;
    const horizons: Record<string, unknown> = {};
    for (const b of HORIZON_BUCKETS) {
      const h = acc.h[b.name];
      if (!h) continue;
      horizons[b.name] = {
        scored: h.n,
        maeVsLevel: h.mae,
        errorVsPromised: h.ratio,
        coverage80: h.c80,
        coverage95: h.c95,
      };
    }
    out[m.name] = {
      horizons,
      scoredThrough: acc.through > 0 ? iso(acc.through) : null,
      ...(acc.since !== undefined ? { since: iso(acc.since) } : {}),
      ...(p?.feedbackRefit
        ? { lastFeedbackRefit: { at: iso(p.feedbackRefit.at), why: p.feedbackRefit.detail } }
        : {}),
    };
  }
  return out;
}

/** What the last forecaster run found unusual; null before the first run. */
export function anomalySummary(
  decision: ContentionDecisionRecord | undefined,
  states: readonly (ModelStateRecord | undefined)[],
): {
  score: number | null;
  anomalousMetrics: string[];
  metrics: Record<string, { score: number | null; active: boolean; since: string | null; asOf: string }>;
} | null {
  const scored = states.filter(
    (s): s is ModelStateRecord & { anomaly: SeriesAnomaly } => s?.anomaly !== undefined,
  );
  if (!decision && scored.length === 0) return null;
  return {
    score: decision?.anomalyScore ?? null,
    anomalousMetrics: decision?.anomalousMetrics ?? [],
    metrics: Object.fromEntries(
      scored.map((s) => [
        s.metric,
        {
          score: s.anomaly.score,
          active: s.anomaly.status.active,
          since:
            s.anomaly.status.active && s.anomaly.status.since !== null ? iso(s.anomaly.status.since) : null,
          asOf: iso(s.anomaly.lastPointMs),
        },
      ]),
    ),
  };
}

/** `workloads register`: validate the file, then create it, or store a new version with --replace. */
async function registerWorkload(
  io: CliIO,
  opts: { file: string; replace?: boolean } & TableOptions,
): Promise<void> {
  // Validate before connecting: a bad file exits 2 naming the field, whatever the network.
  const workload = parseOrThrow(Workload, readJsonFile(opts.file, '--file'), `workload file ${opts.file}`);
  await withRepositories(opts, async (repos) => {
    try {
      const created = await repos.workloads.create(workload);
      io.out(`registered workload "${workload.workloadId}" (version ${created.version})\n`);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      if (!opts.replace)
        throw new ConflictError(
          `workload "${workload.workloadId}" is already registered (use --replace to store a new version)`,
          { cause: error },
        );
      const current = await repos.workloads.get(workload.workloadId);
      if (!current) throw new ConflictError(`workload "${workload.workloadId}" changed under us: try again`);
      const updated = await repos.workloads.update(workload, current.version);
      io.out(`replaced workload "${workload.workloadId}" (version ${updated.version})\n`);
    }
  });
}

/** `workloads list`: page through the registry up to --limit, as a table or JSON lines. */
async function listWorkloads(
  io: CliIO,
  opts: { limit?: number; json?: boolean } & TableOptions,
): Promise<void> {
  await withRepositories(opts, async (repos) => {
    const records: WorkloadRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await repos.workloads.list({ limit: 100, ...(cursor ? { cursor } : {}) });
      records.push(...page.items);
      cursor = page.next;
    } while (cursor && (opts.limit === undefined || records.length < opts.limit));
    const shown = opts.limit === undefined ? records : records.slice(0, opts.limit);
    if (opts.json) {
      for (const record of shown) io.out(`${JSON.stringify(record)}\n`);
      return;
    }
    if (shown.length === 0) {
      io.out('no workloads registered\n');
      return;
    }
    io.out(workloadTable(shown));
  });
}

function workloadTable(shown: readonly WorkloadRecord[]): string {
  return formatTable(
    ['WORKLOAD', 'COMPUTE', 'REGIONS', 'UNITS', 'SHADOW MAX', 'PRIORITY', 'METRICS', 'VERSION', 'UPDATED'],
    shown.map(({ workload: w, version, updatedAt }) => [
      w.workloadId,
      w.compute.kind === 'ecs'
        ? `ecs ${w.compute.cluster}/${w.compute.service}`
        : `eks ${w.compute.cluster}/${w.compute.nodegroup}`,
      w.regions.standby ? `${w.regions.primary} > ${w.regions.standby}` : w.regions.primary,
      `${w.capacity.minUnits}-${w.capacity.maxUnits}`,
      String(w.capacity.shadowMaxUnits),
      String(w.priority),
      w.metrics.map((m) => m.name).join(','),
      String(version),
      iso(updatedAt),
    ]),
  );
}

// ---------------------------------------------------------------------------------------------
// Shared by the data commands (workloads, signals, ops).

export interface TableOptions {
  tablePrefix?: string;
}

/** Add `--table-prefix` to a command. */
export function withTableOptions(command: Command): Command {
  return command.addOption(
    new Option(
      '--table-prefix <prefix>',
      'DynamoDB tables are <prefix>-<name> (default: $SHADOWSCALE_TABLE_PREFIX or "shadowscale"; per-table $SHADOWSCALE_<NAME>_TABLE win)',
    ).argParser(parseTablePrefix),
  );
}

/** Connect with the SDK's own configuration, run, and always release the client. */
export async function withRepositories<T>(
  opts: TableOptions,
  run: (repos: Repositories) => Promise<T>,
): Promise<T> {
  const connection = connectDynamo(opts.tablePrefix ? { tablePrefix: opts.tablePrefix } : {});
  try {
    return await run(connection.repositories);
  } finally {
    connection.close();
  }
}

/** Left-aligned columns separated by two spaces; every row ends with a newline. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

export const iso = (ms: number): string => new Date(ms).toISOString();
