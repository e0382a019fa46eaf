import {
  DEFAULT_SETTING,
  formatFrontier,
  frontier,
  hindsightEnvelope,
  logRatios,
  meetsAll,
  type RiskSetting,
  renderFrontierReport,
  riskGrid,
  riskSetting,
  type TraceBaseline,
} from '../../../bench/frontier';
import type { ElasticityMetrics } from '../../../shared/backtest/metrics';
import { elasticity } from '../../helpers/metrics';

const metrics = elasticity;

/** 1,000 steps of 5 min: τ floors at 0.1 %, overload at 5 min. */
function baseline(trace: string, reactive: Partial<ElasticityMetrics> = {}): TraceBaseline {
  return {
    trace,
    steps: 1000,
    intervalS: 300,
    reactive: metrics(reactive),
    oracle: metrics({ unit_hours: 90 }),
  };
}

describe('riskGrid', () => {
  it('starts with the defaults and the median, then every quantile × headroom, without repeats', () => {
    const grid = riskGrid([0.9, 0.99], [0.1, Number.POSITIVE_INFINITY]);
    expect(grid.map((s) => s.label)).toEqual([
      'defaults',
      'q 0.5, no cap',
      'q 0.9, cap 0.1',
      'q 0.9, no cap',
      'q 0.99, cap 0.1',
      'q 0.99, no cap',
    ]);
    expect(grid[0]).toBe(DEFAULT_SETTING);
    expect(grid[2]?.options).toEqual({ quantile: 0.9, maxHeadroom: 0.1, minQuantile: 0.5 });
    expect(riskGrid([0.5], [Number.POSITIVE_INFINITY]).map((s) => s.label)).toEqual([
      'defaults',
      'q 0.5, no cap',
    ]);
  });
});

describe('logRatios', () => {
  it('takes log ratios against reactive and the oracle, zeros floored at one step', () => {
    const b = baseline('t', { tau_u: 0, overload_minutes: 0, unit_hours: 100 });
    const l = logRatios(metrics({ tau_u: 0, overload_minutes: 50, unit_hours: 110 }), b);
    // τU 0 vs 0: both floored at 100 / 1000 steps = 0.1 -> ratio 1.
    expect(l.tauU).toBeCloseTo(0, 12);
    // Overload 50 vs 0 (floored at one 5-minute step): 10×.
    expect(Math.exp(l.overload)).toBeCloseTo(10, 9);
    expect(Math.exp(l.unitHours)).toBeCloseTo(1.1, 12);
    expect(Math.exp(l.unitHoursOracle)).toBeCloseTo(110 / 90, 12);
  });
});

describe('frontier', () => {
  const settings: RiskSetting[] = [
    riskSetting(0.5, Number.POSITIVE_INFINITY),
    riskSetting(0.9, 0.1),
    riskSetting(0.99, 0.2),
  ];
  const baselines = [baseline('a'), baseline('b')];
  // Setting 0: cheap and unsafe; 1: dominated by 2 on τU and overload at the same cost; 2: safe.
  const runs = [
    {
      a: metrics({ tau_u: 12, overload_minutes: 120, unit_hours: 95 }),
      b: metrics({ tau_u: 12, overload_minutes: 120, unit_hours: 95 }),
    },
    {
      a: metrics({ tau_u: 5, overload_minutes: 60, unit_hours: 104 }),
      b: metrics({ tau_u: 5, overload_minutes: 60, unit_hours: 104 }),
    },
    {
      a: metrics({ tau_u: 2, overload_minutes: 10, unit_hours: 104 }),
      b: metrics({ tau_u: 2, overload_minutes: 10, unit_hours: 104 }),
    },
  ];

  it('scores each setting by ratios of geometric means and marks the Pareto-optimal ones', () => {
    const points = frontier(settings, baselines, runs);
    expect(points.map((p) => p.pareto)).toEqual([true, false, true]);
    expect(points[2]?.ratios.tauU).toBeCloseTo(0.2, 12);
    expect(points[2]?.ratios.overload).toBeCloseTo(0.1, 12);
    expect(points[2]?.ratios.unitHours).toBeCloseTo(1.04, 12);
    expect(points[2]?.ratios.unitHoursOracle).toBeCloseTo(104 / 90, 12);
    // 104/90 = 1.156 > 1.15: the oracle target alone is missed.
    expect(points[2] && meetsAll(points[2].ratios)).toBe(false);
  });

  it('the hindsight envelope picks per trace, and its choice moves with λ', () => {
    const mixed = [
      {
        a: metrics({ tau_u: 10, overload_minutes: 100, unit_hours: 100 }),
        b: metrics({ tau_u: 10, overload_minutes: 100, unit_hours: 100 }),
      },
      // Very safe on a (cheap there), very expensive on b.
      {
        a: metrics({ tau_u: 0.1, overload_minutes: 5, unit_hours: 101 }),
        b: metrics({ tau_u: 0.1, overload_minutes: 5, unit_hours: 200 }),
      },
    ];
    const two = settings.slice(0, 2);
    const [loose, tight] = hindsightEnvelope(two, baselines, mixed, [1, 100]);
    expect(loose?.chosen).toEqual({ a: 'q 0.9, cap 0.1', b: 'q 0.9, cap 0.1' });
    expect(tight?.chosen).toEqual({ a: 'q 0.9, cap 0.1', b: 'q 0.5, no cap' });
    expect(tight?.ratios.tauU).toBeCloseTo(Math.sqrt(0.01 * 1), 12);
    expect(tight?.ratios.unitHours).toBeCloseTo(Math.sqrt(1.01), 12);
  });

  it('says so when a setting meets every target', () => {
    const good = [
      {
        a: metrics({ tau_u: 1, overload_minutes: 10, unit_hours: 101 }),
        b: metrics({ tau_u: 1, overload_minutes: 10, unit_hours: 101 }),
      },
    ];
    const points = frontier([settings[2] as RiskSetting], baselines, good);
    expect(points[0] && meetsAll(points[0].ratios)).toBe(true);
    const text = formatFrontier(points, hindsightEnvelope([settings[2] as RiskSetting], baselines, good));
    expect(text).toContain('verdict: 1 setting(s) meet all four targets: q 0.99, cap 0.2');
  });

  it('says when neither a setting nor the envelope meets them', () => {
    const points = frontier(settings, baselines, runs);
    const text = formatFrontier(points, hindsightEnvelope(settings, baselines, runs));
    expect(text).toContain('neither does the hindsight envelope');
    // Sorted by cost; a * marks each ratio that meets its own target.
    const lines = text.split('\n').filter((l) => l.startsWith('q '));
    expect(lines[0]).toMatch(/^q 0\.5, no cap/);
    expect(lines.find((l) => l.startsWith('q 0.99'))).toMatch(/0\.200\*\s+0\.100\*\s+1\.040\*\s+1\.156 /);
  });

  it('renders a self-contained page with both charts, the target zone and every setting', () => {
    const points = frontier(settings, baselines, runs);
    const html = renderFrontierReport(points, hindsightEnvelope(settings, baselines, runs), {
      traces: 2,
      settings: 3,
    });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(html).toContain('id="frontier-tau"');
    expect(html).toContain('id="frontier-overload"');
    expect(html.match(/<circle /g)).toHaveLength(2 * settings.length);
    expect(html.match(/<title>target<\/title>/g)).toHaveLength(2);
  });
});
