import { geomean, metricFloor, summarise } from '../../../bench/backtest';
import type { ElasticityMetrics } from '../../../shared/backtest/metrics';
import type { BacktestJson } from '../../../shared/backtest/runner';
import { elasticity } from '../../helpers/metrics';

const metrics = elasticity;

function row(
  trace: string,
  reactive: Partial<ElasticityMetrics>,
  shadowscale: Partial<ElasticityMetrics>,
): BacktestJson {
  return {
    trace,
    interval_s: 300,
    unit_capacity: 1,
    policies: {
      reactive: metrics(reactive),
      shadowscale: metrics(shadowscale),
      oracle: metrics({ unit_hours: 95 }),
    },
  };
}

describe('bench summary', () => {
  it.each([
    ['tau_u', 1000, 300, 0.1],
    ['overload_minutes', 1000, 300, 5],
    ['unit_hours', 1000, 300, 1e-3],
  ] as const)('floors %s at its resolution (%i steps of %i s) -> %f', (key, steps, intervalS, want) => {
    expect(metricFloor(key, steps, intervalS)).toBeCloseTo(want, 12);
  });

  it('takes geometric means with per-value floors', () => {
    expect(geomean([4, 0], [1, 1])).toBeCloseTo(2, 12);
    expect(geomean([1, 100])).toBeCloseTo(10, 12);
  });

  it('checks the targets as ratios of geometric means, and per trace', () => {
    const rows = [
      row(
        'a',
        { tau_u: 10, overload_minutes: 100, unit_hours: 100 },
        { tau_u: 2, overload_minutes: 10, unit_hours: 104 },
      ),
      // A zero is "under one step" (0.1 % of 1000 steps; 5 minutes), not infinitely better.
      row(
        'b',
        { tau_u: 10, overload_minutes: 100, unit_hours: 100 },
        { tau_u: 0, overload_minutes: 0, unit_hours: 104 },
      ),
    ];
    const summary = summarise(rows, { a: 1000, b: 1000 });
    const byName = Object.fromEntries(summary.targets.map((t) => [t.name, t]));
    expect(byName['shadowscale τU / reactive']?.value).toBeCloseTo(Math.sqrt(2 * 0.1) / 10, 9);
    expect(byName['shadowscale τU / reactive']).toMatchObject({
      met: true,
      tracesMet: 2,
      tracesDefined: 2,
    });
    expect(byName['shadowscale overload min / reactive']?.value).toBeCloseTo(Math.sqrt(10 * 5) / 100, 9);
    expect(byName['shadowscale unit-hours / reactive']).toMatchObject({ met: true });
    expect(byName['shadowscale unit-hours / oracle']?.value).toBeCloseTo(104 / 95, 9);
    expect(byName['shadowscale unit-hours / oracle']?.met).toBe(true);
    const noRegret = summary.targets.find((t) => t.name.startsWith('no regret'));
    expect(noRegret).toMatchObject({ met: true, tracesMet: 2, tracesDefined: 2 });
    expect(noRegret?.value).toBeCloseTo(1.04, 9);
  });

  it('no regret fails on a trace that overloads longer than reactive or pays over 1.15× its unit-hours', () => {
    const rows = [
      row(
        'a',
        { tau_u: 10, overload_minutes: 100, unit_hours: 100 },
        { tau_u: 2, overload_minutes: 110, unit_hours: 100 },
      ),
      row(
        'b',
        { tau_u: 10, overload_minutes: 100, unit_hours: 100 },
        { tau_u: 2, overload_minutes: 10, unit_hours: 120 },
      ),
      row(
        'c',
        { tau_u: 10, overload_minutes: 100, unit_hours: 100 },
        { tau_u: 2, overload_minutes: 10, unit_hours: 110 },
      ),
    ];
    const noRegret = summarise(rows, { a: 1000, b: 1000, c: 1000 }).targets.find((t) =>
      t.name.startsWith('no regret'),
    );
    expect(noRegret).toMatchObject({ met: false, tracesMet: 1, tracesDefined: 3 });
    expect(noRegret?.value).toBeCloseTo(1.2, 9);
  });
});
