import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadTrace } from '../../../bench/forecast';
import { ValidationError } from '../../../shared/errors';
import { escapeHtml, lineChart, page, table, timeline } from '../../../shared/report/chart';
import type { CliIO } from '../../cli/context';
import { DEFAULT_TRACE } from '../demo';
import { HOME, type RegionOutageResult, runRegionOutage, STANDBY } from './region-outage';

/** `shadowscale local --scenario region-outage`: flags this scenario reads. */
export interface RegionOutageFlags {
  trace?: string;
  outageAt?: number;
  outageFor?: number;
  injectFailure?: 'gate' | 'provision';
  report?: string;
  quiet?: boolean;
}

const pct = (x: number | undefined) => (x === undefined ? 'n/a' : `${(100 * x).toFixed(2)}%`);

export function regionOutageReportHtml(r: RegionOutageResult): string {
  const rows = r.sim.rows;
  const t = rows.map((row) => row.t);
  const chart = lineChart({
    id: 'served-by-region',
    title: 'Demand served per region (per second)',
    t,
    series: [
      { name: 'demand', color: '#333333', values: rows.map((row) => row.demand) },
      {
        name: `served ${HOME}`,
        color: '#1f77b4',
        values: rows.map((row) => row.served[HOME] ?? 0),
        kind: 'area',
      },
      { name: `served ${STANDBY}`, color: '#2ca02c', values: rows.map((row) => row.served[STANDBY] ?? 0) },
      { name: 'unserved', color: '#d62728', values: rows.map((row) => row.unserved) },
    ],
    events: r.events.map((e) => ({ t: e.at, label: e.what.slice(0, 60) })),
  });
  const weights = lineChart({
    id: 'dns-weights',
    title: `DNS: authoritative weight and share of clients on ${STANDBY} (%)`,
    t,
    series: [
      {
        name: 'weight',
        color: '#9467bd',
        values: rows.map((row) => row.weights[STANDBY] ?? 0),
        kind: 'step',
      },
      { name: 'clients (TTL)', color: '#ff7f0e', values: rows.map((row) => 100 * (row.share[STANDBY] ?? 0)) },
    ],
    yMin: 0,
    yMax: 100,
  });
  const units = lineChart({
    id: 'standby-units',
    title: `Standby units in ${STANDBY}`,
    t,
    series: [
      { name: 'desired', color: '#8c564b', values: rows.map((row) => row.units[STANDBY] ?? 0), kind: 'step' },
    ],
  });
  const summary = table(
    ['measure', 'value'],
    [
      [
        'detection after the outage',
        r.detectedAtMs ? `${(r.detectedAtMs - r.outageAtMs) / 1000} s` : 'not detected',
      ],
      [
        'recovery (95% of demand served)',
        r.recoverySeconds !== undefined ? `${r.recoverySeconds} s` : 'not recovered',
      ],
      ['unserved during the outage', pct(r.unservedFraction)],
      ['unserved after the last DNS step + TTL', pct(r.unservedAfterShiftFraction)],
      [
        'standby unit-hours while calm',
        `${r.standbyUnitHoursCalm.toFixed(1)} (full size: ${(r.maxUnits * r.calmHours).toFixed(1)})`,
      ],
      [
        'executions',
        r.executions.map((e) => `${e.kind}: ${e.outcome}${e.error ? ` (${e.error})` : ''}`).join('; '),
      ],
    ],
  );
  return page(
    `Shadowscale region outage: ${escapeHtml(r.name)}`,
    `${summary}${chart}${weights}${units}${timeline(r.events.map((e) => ({ t: e.at, label: e.what })))}`,
  );
}

export async function runRegionOutageScenario(
  flags: RegionOutageFlags,
  io: CliIO,
): Promise<RegionOutageResult> {
  if (flags.injectFailure === 'gate') {
    throw new ValidationError(
      '--inject-failure gate: the region-outage scenario supports "provision" (a standby that never becomes healthy)',
      [
        {
          path: '--inject-failure',
          message: 'region-outage supports provision',
          received: flags.injectFailure,
        },
      ],
    );
  }
  const path = resolve(flags.trace ?? DEFAULT_TRACE);
  const series = loadTrace(path);
  const spanMs = series.values.length * series.intervalMs;
  // The seasonal forecast needs a day of history; the outage starts there unless told otherwise.
  const outageAtOffset = flags.outageAt ?? 86_400_000 + 6 * 3_600_000;
  const outageMs = flags.outageFor ?? 60 * 60_000;
  if (outageAtOffset + outageMs + 3_600_000 > spanMs || outageAtOffset < 3 * 3_600_000) {
    throw new ValidationError(
      `--outage-at ${outageAtOffset / 1000}s: must leave 3 h before and the outage plus an hour after, within the trace's ${(spanMs / 3_600_000).toFixed(0)} h`,
      [{ path: '--outage-at', message: 'outside the trace', received: outageAtOffset }],
    );
  }
  const result = await runRegionOutage({
    name: path.split('/').at(-1) ?? path,
    values: series.values,
    startMs: series.startMs,
    intervalMs: series.intervalMs,
    outageAtMs: series.startMs + Math.floor(outageAtOffset / 60_000) * 60_000,
    outageMs,
    warmupMs: 3 * 3_600_000,
    afterMs: Math.min(3 * 3_600_000, spanMs - outageAtOffset - outageMs),
    injectFailure: flags.injectFailure === 'provision',
    failbackHoldSeconds: 1_800,
    ...(flags.quiet ? {} : { onProgress: (line: string) => io.out(`${line}\n`) }),
  });
  io.out(
    `\nregion-outage: detected after ${result.detectedAtMs ? `${(result.detectedAtMs - result.outageAtMs) / 1000} s` : 'never'}; ` +
      `recovered (95% served) after ${result.recoverySeconds !== undefined ? `${result.recoverySeconds} s` : 'never'}; ` +
      `unserved during the outage ${pct(result.unservedFraction)}, after the DNS move ${pct(result.unservedAfterShiftFraction)}; ` +
      `standby unit-hours while calm ${result.standbyUnitHoursCalm.toFixed(1)} vs ${(result.maxUnits * result.calmHours).toFixed(1)} at full size\n`,
  );
  for (const region of [HOME, STANDBY]) {
    let served = 0;
    for (const row of result.sim.rows) served += (row.served[region] ?? 0) * row.seconds;
    io.out(`  served in ${region}: ${served.toFixed(0)}\n`);
  }
  const reportPath = resolve(flags.report ?? 'reports/region-outage.html');
  mkdirSync(dirname(reportPath), { recursive: true });
  writeFileSync(reportPath, regionOutageReportHtml(result));
  io.out(`report: ${reportPath}\n`);
  return result;
}
