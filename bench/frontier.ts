import type { LoopSettings } from '../shared/backtest/deployed';
import type { ElasticityMetrics } from '../shared/backtest/metrics';
import { makePolicy, runPolicy, runShadowscale } from '../shared/backtest/runner';
import { describeError, ShadowscaleError } from '../shared/errors';
import { page, scatterChart, table } from '../shared/report/chart';
import { demandUnits } from '../shared/sim/trace';
import { DEFAULTS, loadDemandTrace, metricFloor, setupFor, TARGETS } from './backtest';

/**
 * The risk/cost frontier of the shadowscale policy: the same traces replayed at a grid of planning
 * settings (demand quantile × headroom cap), each scored against reactive and the oracle exactly as
 * the scaling targets are (ratios of geometric means, zeros floored at one step). It answers two
 * questions the single default run cannot: what does a lower τU cost in unit-hours, and does any
 * setting meet all targets at once.
 *
 * The hindsight envelope picks, per trace, the grid setting that would have scored best on that
 * trace — knowledge no online policy has — so it bounds what per-workload tuning of these settings
 * could reach. When even the envelope misses a target, no choice of these settings meets it.
 */

export interface RiskSetting {
  label: string;
  options: LoopSettings;
  /** The policy's defaults (what `bench backtest` runs). */
  isDefault: boolean;
}

/** Planning at `quantile`, headroom above the median capped at `headroom` (Infinity: no cap). */
export function riskSetting(quantile: number, headroom: number): RiskSetting {
  const cap = Number.isFinite(headroom) ? `cap ${headroom}` : 'no cap';
  // minQuantile at the median: the cap alone bounds the headroom, so the grid is one-dimensional per cap.
  return {
    label: `q ${quantile}, ${cap}`,
    options: { quantile, maxHeadroom: headroom, minQuantile: 0.5 },
    isDefault: false,
  };
}

export const DEFAULT_SETTING: RiskSetting = { label: 'defaults', options: {}, isDefault: true };

export const DEFAULT_QUANTILES = [0.9, 0.99, 0.999] as const;
export const DEFAULT_HEADROOMS = [0.05, 0.1, 0.2, 0.35, 0.6, Number.POSITIVE_INFINITY] as const;

/** The grid: the defaults, the median (no headroom), then every quantile × headroom cap. */
export function riskGrid(
  quantiles: readonly number[] = DEFAULT_QUANTILES,
  headrooms: readonly number[] = DEFAULT_HEADROOMS,
): RiskSetting[] {
  const grid = [DEFAULT_SETTING, riskSetting(0.5, Number.POSITIVE_INFINITY)];
  for (const q of quantiles) for (const h of headrooms) grid.push(riskSetting(q, h));
  return grid.filter((s, i) => grid.findIndex((o) => o.label === s.label) === i);
}

/** What every setting of one trace is compared with. */
export interface TraceBaseline {
  trace: string;
  steps: number;
  intervalS: number;
  reactive: ElasticityMetrics;
  oracle: ElasticityMetrics;
}

/** log(ratio) per target quantity on one trace, floored as the bench summary floors. */
export interface LogRatios {
  tauU: number;
  overload: number;
  unitHours: number;
  unitHoursOracle: number;
}

export function logRatios(m: ElasticityMetrics, b: TraceBaseline): LogRatios {
  const f = (key: keyof ElasticityMetrics, x: number): number =>
    Math.max(x, metricFloor(key, b.steps, b.intervalS));
  return {
    tauU: Math.log(f('tau_u', m.tau_u) / f('tau_u', b.reactive.tau_u)),
    overload: Math.log(
      f('overload_minutes', m.overload_minutes) / f('overload_minutes', b.reactive.overload_minutes),
    ),
    unitHours: Math.log(f('unit_hours', m.unit_hours) / f('unit_hours', b.reactive.unit_hours)),
    unitHoursOracle: Math.log(f('unit_hours', m.unit_hours) / f('unit_hours', b.oracle.unit_hours)),
  };
}

/** Ratios of geometric means over traces (= geometric mean of the per-trace ratios). */
export interface Ratios {
  tauU: number;
  overload: number;
  unitHours: number;
  unitHoursOracle: number;
}

function meanRatios(logs: readonly LogRatios[]): Ratios {
  const n = Math.max(1, logs.length);
  const sum = (k: keyof LogRatios): number => logs.reduce((s, l) => s + l[k], 0);
  return {
    tauU: Math.exp(sum('tauU') / n),
    overload: Math.exp(sum('overload') / n),
    unitHours: Math.exp(sum('unitHours') / n),
    unitHoursOracle: Math.exp(sum('unitHoursOracle') / n),
  };
}

/** Which of the scaling targets a set of ratios meets. */
export function targetsMet(r: Ratios): {
  tauU: boolean;
  overload: boolean;
  unitHours: boolean;
  oracle: boolean;
} {
  return {
    tauU: r.tauU <= TARGETS.tauU,
    overload: r.overload <= TARGETS.overload,
    unitHours: r.unitHours <= TARGETS.unitHours,
    oracle: r.unitHoursOracle <= TARGETS.unitHoursOracle,
  };
}

export function meetsAll(r: Ratios): boolean {
  const t = targetsMet(r);
  return t.tauU && t.overload && t.unitHours && t.oracle;
}

export interface FrontierPoint {
  setting: RiskSetting;
  ratios: Ratios;
  /** No other setting is at least as good on τU, overload and unit-hours, and better on one. */
  pareto: boolean;
}

/** `runs[i][trace]`: the shadowscale metrics of setting i on each trace. */
export function frontier(
  settings: readonly RiskSetting[],
  baselines: readonly TraceBaseline[],
  runs: readonly Record<string, ElasticityMetrics>[],
): FrontierPoint[] {
  const points = settings.map((setting, i) => {
    const logs = baselines.flatMap((b) => {
      const m = runs[i]?.[b.trace];
      return m === undefined ? [] : [logRatios(m, b)];
    });
    return { setting, ratios: meanRatios(logs), pareto: false };
  });
  const dominates = (a: Ratios, b: Ratios): boolean =>
    a.tauU <= b.tauU &&
    a.overload <= b.overload &&
    a.unitHours <= b.unitHours &&
    (a.tauU < b.tauU || a.overload < b.overload || a.unitHours < b.unitHours);
  for (const p of points) p.pareto = !points.some((o) => o !== p && dominates(o.ratios, p.ratios));
  return points;
}

export interface EnvelopePoint {
  /** Weight of log unit-hours against log τU + log overload in the per-trace choice. */
  lambda: number;
  ratios: Ratios;
  /** Setting label chosen per trace. */
  chosen: Record<string, string>;
}

export const ENVELOPE_LAMBDAS = [1, 2, 5, 10, 20, 50, 100] as const;

/**
 * Per trace, the setting minimising log τU + log overload + λ · log unit-hours (all vs reactive),
 * chosen with hindsight; one point per λ. Small λ buys safety at any cost, large λ saves units.
 */
export function hindsightEnvelope(
  settings: readonly RiskSetting[],
  baselines: readonly TraceBaseline[],
  runs: readonly Record<string, ElasticityMetrics>[],
  lambdas: readonly number[] = ENVELOPE_LAMBDAS,
): EnvelopePoint[] {
  return lambdas.map((lambda) => {
    const logs: LogRatios[] = [];
    const chosen: Record<string, string> = {};
    for (const b of baselines) {
      let best: { l: LogRatios; label: string; score: number } | undefined;
      settings.forEach((s, i) => {
        const m = runs[i]?.[b.trace];
        if (m === undefined) return;
        const l = logRatios(m, b);
        const score = l.tauU + l.overload + lambda * l.unitHours;
        if (best === undefined || score < best.score) best = { l, label: s.label, score };
      });
      if (best !== undefined) {
        logs.push(best.l);
        chosen[b.trace] = best.label;
      }
    }
    return { lambda, ratios: meanRatios(logs), chosen };
  });
}

export interface FrontierRun {
  baselines: TraceBaseline[];
  /** runs[i][trace]: shadowscale metrics of settings[i]. */
  runs: Record<string, ElasticityMetrics>[];
  skipped: { trace: string; reason: string }[];
}

/**
 * Replay every trace once through reactive and the oracle, then through shadowscale at every
 * setting (same physics as `bench backtest`). `onStep(done, total, what)` reports progress.
 */
export async function runFrontier(
  files: readonly { name: string; path: string }[],
  settings: readonly RiskSetting[],
  onStep: (done: number, total: number, what: string) => void = () => {},
): Promise<FrontierRun> {
  const baselines: TraceBaseline[] = [];
  const runs: Record<string, ElasticityMetrics>[] = settings.map(() => ({}));
  const skipped: FrontierRun['skipped'] = [];
  const per = settings.length + 2;
  const total = files.length * per;
  for (const [fi, file] of files.entries()) {
    let done = fi * per;
    try {
      const trace = loadDemandTrace(file.path);
      const setup = setupFor(trace, DEFAULTS);
      const future = demandUnits(
        trace,
        setup.unitCapacity,
        setup.targetUtilization ?? DEFAULTS.targetUtilization,
      );
      onStep(done, total, `${file.name} reactive`);
      const reactive = runPolicy(setup, makePolicy('reactive', future)).metrics;
      done++;
      onStep(done, total, `${file.name} oracle`);
      const oracle = runPolicy(setup, makePolicy('oracle', future)).metrics;
      done++;
      baselines.push({
        trace: trace.name,
        steps: trace.values.length,
        intervalS: trace.intervalMs / 1000,
        reactive,
        oracle,
      });
      for (const [i, s] of settings.entries()) {
        onStep(done, total, `${file.name} ${s.label}`);
        (runs[i] as Record<string, ElasticityMetrics>)[trace.name] = (
          await runShadowscale({ ...setup, shadowscale: s.options })
        ).metrics;
        done++;
      }
    } catch (error) {
      // A trace that cannot be replayed (unreadable, too short, p95 of 0) is reported, not fatal.
      if (!(error instanceof ShadowscaleError)) throw error;
      skipped.push({ trace: file.name, reason: describeError(error) });
    }
  }
  onStep(total, total, '');
  return { baselines, runs, skipped };
}

/** JSON of a frontier run (Infinity as null: "no cap"). */
export function frontierJson(
  points: readonly FrontierPoint[],
  envelope: readonly EnvelopePoint[],
  run: FrontierRun,
) {
  return {
    traces: run.baselines.map((b) => b.trace),
    settings: points.map((p) => ({
      label: p.setting.label,
      defaults: p.setting.isDefault,
      quantile: p.setting.options.quantile ?? null,
      max_headroom:
        p.setting.options.maxHeadroom === undefined || !Number.isFinite(p.setting.options.maxHeadroom)
          ? null
          : p.setting.options.maxHeadroom,
      ratios: p.ratios,
      pareto: p.pareto,
      meets_all_targets: meetsAll(p.ratios),
    })),
    envelope: envelope.map((e) => ({
      lambda: e.lambda,
      ratios: e.ratios,
      meets_all_targets: meetsAll(e.ratios),
      chosen: e.chosen,
    })),
    skipped: run.skipped,
  };
}

function cell(x: number, limit: number): string {
  return `${x.toFixed(3)}${x <= limit ? '*' : ' '}`.padStart(8);
}

/** The human-readable frontier: one line per setting, then the hindsight envelope and the verdict. */
export function formatFrontier(points: readonly FrontierPoint[], envelope: readonly EnvelopePoint[]): string {
  const lines: string[] = [];
  const head = `${'setting'.padEnd(24)} ${['τU/r', 'ovl/r', 'unit-h/r', 'unit-h/o'].map((h) => h.padStart(8)).join(' ')}  pareto`;
  lines.push('shadowscale risk/cost frontier (ratios of geometric means; * = meets its scaling target):');
  lines.push(head);
  const sorted = [...points].sort((a, b) => a.ratios.unitHours - b.ratios.unitHours);
  for (const p of sorted) {
    const r = p.ratios;
    lines.push(
      `${p.setting.label.padEnd(24)} ${cell(r.tauU, TARGETS.tauU)} ${cell(r.overload, TARGETS.overload)} ${cell(r.unitHours, TARGETS.unitHours)} ${cell(r.unitHoursOracle, TARGETS.unitHoursOracle)}  ${p.pareto ? 'yes' : ''}`,
    );
  }
  lines.push('');
  lines.push('hindsight envelope (per trace the best of these settings, chosen knowing the outcome):');
  for (const e of envelope) {
    const r = e.ratios;
    lines.push(
      `${`λ ${e.lambda}`.padEnd(24)} ${cell(r.tauU, TARGETS.tauU)} ${cell(r.overload, TARGETS.overload)} ${cell(r.unitHours, TARGETS.unitHours)} ${cell(r.unitHoursOracle, TARGETS.unitHoursOracle)}`,
    );
  }
  lines.push('');
  const settingMeets = points.filter((p) => meetsAll(p.ratios));
  const envelopeMeets = envelope.filter((e) => meetsAll(e.ratios));
  lines.push(
    settingMeets.length > 0
      ? `verdict: ${settingMeets.length} setting(s) meet all four targets: ${settingMeets.map((p) => p.setting.label).join('; ')}`
      : envelopeMeets.length > 0
        ? 'verdict: no single setting meets all four targets; per-workload tuning (the envelope) would'
        : 'verdict: no setting meets all four targets, and neither does the hindsight envelope: no choice of these settings, even per trace, reaches them',
  );
  return `${lines.join('\n')}\n`;
}

export const FRONTIER_COLORS = {
  setting: '#1f77b4',
  pareto: '#d62728',
  defaults: '#2ca02c',
  envelope: '#9467bd',
  target: '#ffd54f',
};

/** One frontier panel: every setting's ratio on `key` against its cost, the envelope, the target zone. */
function frontierScatter(
  points: readonly FrontierPoint[],
  envelope: readonly EnvelopePoint[],
  panel: { title: string; key: 'tauU' | 'overload'; limit: number; id: string },
): string {
  const { key } = panel;
  return scatterChart({
    id: panel.id,
    width: 560,
    title: panel.title,
    xLabel: 'unit-hours vs reactive',
    yLabel: `${key === 'tauU' ? 'τU' : 'overload minutes'} vs reactive`,
    points: points.map((p) => ({
      x: p.ratios.unitHours,
      y: p.ratios[key],
      label: `${p.setting.label}: ${key} ${p.ratios[key].toFixed(3)}, unit-hours ${p.ratios.unitHours.toFixed(3)}`,
      color: p.setting.isDefault
        ? FRONTIER_COLORS.defaults
        : p.pareto
          ? FRONTIER_COLORS.pareto
          : FRONTIER_COLORS.setting,
      radius: p.setting.isDefault ? 7 : 5,
      ...(p.setting.isDefault ? { tag: 'defaults' } : {}),
    })),
    lines: [
      {
        name: 'hindsight envelope (best setting per trace, chosen knowing the outcome)',
        color: FRONTIER_COLORS.envelope,
        dashed: true,
        points: [...envelope]
          .sort((a, b) => a.ratios.unitHours - b.ratios.unitHours)
          .map((e) => ({ x: e.ratios.unitHours, y: e.ratios[key] })),
      },
    ],
    region: { xMax: TARGETS.unitHours, yMax: panel.limit, label: 'target', color: FRONTIER_COLORS.target },
    legend: [
      { name: 'setting', color: FRONTIER_COLORS.setting },
      { name: 'Pareto-optimal setting', color: FRONTIER_COLORS.pareto },
      { name: 'defaults', color: FRONTIER_COLORS.defaults },
    ],
  });
}

const FRONTIER_HEADERS = [
  'setting',
  'τU / reactive',
  'overload / reactive',
  'unit-h / reactive',
  'unit-h / oracle',
  'Pareto',
  'targets',
];

/** One table row per setting, cheapest first. */
function settingRows(points: readonly FrontierPoint[]): string[][] {
  return [...points]
    .sort((a, b) => a.ratios.unitHours - b.ratios.unitHours)
    .map((p) => [
      p.setting.label,
      p.ratios.tauU.toFixed(3),
      p.ratios.overload.toFixed(3),
      p.ratios.unitHours.toFixed(3),
      p.ratios.unitHoursOracle.toFixed(3),
      p.pareto ? 'yes' : '',
      meetsAll(p.ratios) ? 'all' : '',
    ]);
}

/** One table row per λ of the hindsight envelope. */
function envelopeRows(envelope: readonly EnvelopePoint[]): string[][] {
  return envelope.map((e) => [
    `λ ${e.lambda}`,
    e.ratios.tauU.toFixed(3),
    e.ratios.overload.toFixed(3),
    e.ratios.unitHours.toFixed(3),
    e.ratios.unitHoursOracle.toFixed(3),
    '',
    meetsAll(e.ratios) ? 'all' : '',
  ]);
}

/**
 * The frontier as one self-contained HTML page: τU and overload (vs reactive) against unit-hours
 * (vs reactive) for every setting, the hindsight envelope as a line, the targets as a shaded zone.
 */
export function renderFrontierReport(
  points: readonly FrontierPoint[],
  envelope: readonly EnvelopePoint[],
  meta: { traces: number; settings: number },
): string {
  const body = [
    '<h1>Shadowscale risk/cost frontier</h1>',
    `<p class="muted">${meta.settings} planning settings (demand quantile × headroom cap) over ${meta.traces} traces. Ratios are geometric means of per-trace ratios against reactive target tracking (and the oracle), zeros floored at one step, exactly as the scaling targets are scored. Lower is better on both axes; the shaded zone is where a setting would meet the target.</p>`,
    '<div class="summary">',
    frontierScatter(points, envelope, {
      title: 'Time under-provisioned (τU) against cost',
      key: 'tauU',
      limit: TARGETS.tauU,
      id: 'frontier-tau',
    }),
    frontierScatter(points, envelope, {
      title: 'Overload minutes against cost',
      key: 'overload',
      limit: TARGETS.overload,
      id: 'frontier-overload',
    }),
    '</div>',
    '<h2>Settings</h2>',
    table(FRONTIER_HEADERS, settingRows(points)),
    '<h2>Hindsight envelope</h2>',
    '<p class="muted">Per trace the setting that scored best on that very trace (log τU + log overload + λ · log unit-hours), a choice no online policy can make: it bounds what tuning these settings per workload could reach.</p>',
    table(FRONTIER_HEADERS, envelopeRows(envelope)),
  ].join('');
  return page('Shadowscale risk/cost frontier', body);
}
