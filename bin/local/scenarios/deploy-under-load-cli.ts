import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ValidationError } from '../../../shared/errors';
import {
  type ChartBand,
  type ChartEvent,
  escapeHtml,
  lineChart,
  page,
  table,
  timeline,
} from '../../../shared/report/chart';
import type { Prediction } from '../../../shared/schemas/series';
import type { FleetHistory } from '../../../shared/sim/fleet';
import type { CliIO } from '../../cli/context';
import { CliExit } from '../../cli/context';
import { DEFAULT_TRACE, loadTrace } from '../demo';
import type { LocalDeployment } from '../deploy';
import { type DeployUnderLoadResult, runDeployUnderLoad, STAGE } from './deploy-under-load';

/** `shadowscale local --scenario deploy-under-load`: flags this scenario reads. */
export interface DeployUnderLoadFlags {
  trace?: string;
  warmupDays?: number;
  days?: number;
  injectFailure?: string;
  primaryMax?: number;
  report?: string;
  quiet?: boolean;
  compute?: 'ecs' | 'eks';
}

const HOUR = 3_600_000;

/**
 * The report's time axis: two hours of the trace before the deployment, then the simulated fleet's
 * steps; with the trace's demand over those two hours, and a gap (NaN) for the fleet's series there.
 */
interface ReportAxis {
  t: number[];
  demandBefore: number[];
  nan: number[];
}

/** Builds the report's time axis from the trace and the fleet's history. */
function reportAxis(r: DeployUnderLoadResult, d: LocalDeployment, h: FleetHistory): ReportAxis {
  const before: number[] = [];
  for (let t = d.startedAt - 2 * HOUR; t < d.startedAt; t += r.trace.intervalMs) before.push(t);
  const demandBefore = before.map(
    (t) => r.trace.values[Math.floor((t - r.trace.startMs) / r.trace.intervalMs)] ?? 0,
  );
  return { t: [...before, ...h.t], demandBefore, nan: before.map(() => Number.NaN) };
}

/** The branch decision's forecast as a p50..p95 band over the report's time axis. */
function forecastBand(f: Prediction, t: readonly number[]): ChartBand {
  const p95 = f.quantiles.find((q) => q.q === 0.95)?.values ?? [];
  const p50 = f.quantiles.find((q) => q.q === 0.5)?.values ?? f.point;
  const at = (arr: number[], ms: number) => {
    const i = Math.floor((ms - f.startMs) / f.intervalMs);
    return i >= 0 && i < arr.length ? (arr[i] as number) : Number.NaN;
  };
  return {
    name: 'forecast p50..p95',
    color: '#ff7f0e',
    low: t.map((ms) => at(p50, ms)),
    high: t.map((ms) => at(p95, ms)),
  };
}

/** Demand, the primary's and the shadow environment's capacity, and unserved demand, with the forecast band. */
function capacityChart(
  r: DeployUnderLoadResult,
  h: FleetHistory,
  axis: ReportAxis,
  events: ChartEvent[],
): string {
  const util = r.workload.capacity.targetUtilization;
  const { t, nan } = axis;
  const band = r.forecast ? forecastBand(r.forecast, t) : undefined;
  return lineChart({
    id: 'deploy-capacity',
    title: `Demand and capacity at ${Math.round(util * 100)}% target utilisation (per ${r.trace.intervalMs / 60_000} min)`,
    t,
    series: [
      { name: 'demand', color: '#333333', values: [...axis.demandBefore, ...h.demand] },
      {
        name: 'primary capacity',
        color: '#1f77b4',
        values: [...nan, ...h.readyPrimary.map((u) => u * r.unitCapacity * util)],
        kind: 'step',
      },
      {
        name: 'shadow environment capacity',
        color: '#2ca02c',
        values: [...nan, ...h.readyShadow.map((u) => u * r.unitCapacity * util)],
        kind: 'step',
      },
      { name: 'unserved', color: '#d62728', values: [...nan, ...h.unserved] },
    ],
    ...(band ? { bands: [band] } : {}),
    events,
  });
}

/** The share of traffic on the shadow environment, in percent. */
function shadowShareChart(h: FleetHistory, axis: ReportAxis, events: ChartEvent[]): string {
  return lineChart({
    id: 'deploy-traffic',
    title: 'Traffic on the shadow environment (%)',
    t: axis.t,
    series: [
      {
        name: 'shadow share',
        color: '#9467bd',
        values: [...axis.nan, ...h.shadowShare.map((s) => 100 * s)],
        kind: 'step',
      },
    ],
    events,
    yMin: 0,
    yMax: 100,
  });
}

/** The summary table: the stage decision, the outcome, the operation, how long it ran, states entered. */
function deploymentSummary(r: DeployUnderLoadResult, d: LocalDeployment): string {
  const decision = r.decisions.at(-1)?.forecast;
  return table(
    ['measure', 'value'],
    [
      ['stage decision', decision ? `${decision.branch ? 'branch' : 'primary'}: ${decision.reason}` : 'n/a'],
      ['outcome', `${d.outcome.status}${d.outcome.status === 'failed' ? `: ${d.outcome.error}` : ''}`],
      ['operation', d.operation ? `${d.operation.operationId}: ${d.operation.status}` : 'n/a'],
      ['simulated duration', `${Math.round((d.endedAt - d.startedAt) / 60_000)} min`],
      ['states entered', String(d.states.length)],
    ],
  );
}

/** Demand, the primary's and the shadow environment's capacity, and the traffic share, with the deployment's steps marked. */
export function deployUnderLoadReportHtml(r: DeployUnderLoadResult): string {
  const d = r.deployment;
  if (!d)
    return page(
      'Shadowscale deploy under load',
      '<p>No hour in the search window was predicted contended: nothing was deployed.</p>',
    );
  const h = d.fleet.get(r.workload.workloadId).history;
  const axis = reportAxis(r, d, h);
  const marks = [
    { t: d.startedAt, label: `pipeline stage ${STAGE} starts ${r.version}` },
    ...d.marks.map((m) => ({ t: m.at, label: m.what })),
  ];
  const events = marks.map((m) => ({ t: m.t, label: m.label.slice(0, 60) }));
  const capacity = capacityChart(r, h, axis, events);
  const share = shadowShareChart(h, axis, events);
  return page(
    `Shadowscale deploy under load: ${escapeHtml(r.trace.name)}`,
    `${deploymentSummary(r, d)}${capacity}${share}${timeline(marks)}`,
  );
}

export async function runDeployUnderLoadScenario(
  flags: DeployUnderLoadFlags,
  io: CliIO,
): Promise<DeployUnderLoadResult> {
  if (flags.injectFailure !== undefined && flags.injectFailure !== 'tests') {
    throw new ValidationError(
      `--inject-failure ${flags.injectFailure}: the deploy-under-load scenario supports "tests" (the integration tests fail)`,
      [
        {
          path: '--inject-failure',
          message: 'deploy-under-load supports tests',
          received: flags.injectFailure,
        },
      ],
    );
  }
  const trace = loadTrace(resolve(flags.trace ?? DEFAULT_TRACE));
  const result = await runDeployUnderLoad({
    trace,
    warmupMs: (flags.warmupDays ?? 7) * 24 * HOUR,
    searchMs: (flags.days ?? 2) * 24 * HOUR,
    failTests: flags.injectFailure === 'tests',
    ...(flags.primaryMax !== undefined ? { primaryMaxUnits: flags.primaryMax } : {}),
    ...(flags.compute !== undefined ? { compute: flags.compute } : {}),
    ...(flags.quiet ? {} : { onProgress: (line: string) => io.out(`${line}\n`) }),
  });
  const reportPath = resolve(flags.report ?? 'reports/deploy-under-load.html');
  mkdirSync(dirname(reportPath), { recursive: true });
  writeFileSync(reportPath, deployUnderLoadReportHtml(result));
  const d = result.deployment;
  if (!d) {
    io.out(
      `deploy-under-load: no contended hour in ${result.decisions.length} hourly decisions; nothing deployed\nreport: ${reportPath}\n`,
    );
    throw new CliExit(
      1,
      'deploy-under-load: the primary was never predicted contended (try a smaller --primary-max)',
    );
  }
  const out = d.outcome;
  io.out(
    `\ndeploy-under-load: ${out.status === 'succeeded' ? 'merged' : `${out.error}: ${out.cause}`}\n` +
      `  ${d.marks.length} recorded steps over ${Math.round((d.endedAt - d.startedAt) / 60_000)} simulated minutes\n` +
      `report: ${reportPath}\n`,
  );
  return result;
}
