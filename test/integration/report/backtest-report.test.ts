import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FRONTIER_COLORS,
  frontier,
  hindsightEnvelope,
  renderFrontierReport,
  riskGrid,
  type TraceBaseline,
} from '../../../bench/frontier';
import { runBacktest } from '../../../shared/backtest/runner';
import { COLORS, renderBacktestReport } from '../../../shared/report';
import { chartLayouts, countColor, describeRender, screenshot } from '../../helpers/chromium';
import { elasticity } from '../../helpers/metrics';

/**
 * Renders the backtest report in headless Chromium and checks from the screenshot that the charts
 * are drawn (their series colours appear inside the chart regions). Under CI=true it must run and
 * fails when Chromium is missing; elsewhere the suite is replaced by a note when it is absent.
 */
/** Two days of 5-minute demand with a daily wave and a surge past the primary's maximum. */
function demoTrace(): Float64Array {
  const n = 3 * 288;
  return Float64Array.from({ length: n }, (_, i) => {
    const hour = ((i * 5) / 60) % 24;
    const wave = 100 + 60 * Math.sin(((hour - 8) / 24) * 2 * Math.PI);
    const surge = i > 2 * 288 + 100 && i < 2 * 288 + 160 ? 90 : 0;
    return wave + surge + ((i * 7919) % 13) - 6;
  });
}

describeRender('backtest report in headless Chromium', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'shadowscale-report-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('draws demand, capacity per policy, the shadow pool and the weights', async () => {
    // Prepare: a backtest whose surge needs the shadow pool.
    const result = await runBacktest({
      trace: { name: 'demo', startMs: Date.UTC(2026, 0, 5), intervalMs: 300_000, values: demoTrace() },
      unitCapacity: 10,
      primaryMax: 30,
      shadowMax: 20,
    });
    const html = renderBacktestReport(result);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    const file = join(dir, 'report.html');
    writeFileSync(file, html);

    // Act: render it.
    const png = screenshot(file, dir);
    expect(png.width).toBe(1400);
    const capacityChart = { x0: 0, y0: 200, x1: 1400, y1: 700 };
    for (const color of [
      COLORS.demand,
      COLORS.reactive,
      COLORS['hourly-predictive'],
      COLORS.shadowscale,
      COLORS.oracle,
    ]) {
      expect({ color, drawn: countColor(png, color, capacityChart) > 30 }).toEqual({ color, drawn: true });
    }
    const below = { x0: 0, y0: 700, x1: 1400, y1: 1300 };
    for (const color of [COLORS.shadow, COLORS.weight])
      expect({ color, drawn: countColor(png, color, below) > 30 }).toEqual({ color, drawn: true });
    // A blank page would be (almost) all background.
    expect(countColor(png, '#ffffff', { x0: 0, y0: 0, x1: 1400, y1: 2000 }, 2)).toBeLessThan(
      1400 * 2000 * 0.95,
    );
  });

  it('reads a long trace per day, and zooms into the three busiest days', async () => {
    // Prepare: ten days of daily waves; days 4 and 8 carry surges past the primary's maximum.
    const days = 10;
    const surge = (i: number): number => {
      const day = Math.floor(i / 288);
      const step = i % 288;
      return (day === 3 || day === 7) && step > 200 && step < 250 ? 120 : 0;
    };
    const values = Float64Array.from({ length: days * 288 }, (_, i) => {
      const hour = ((i * 5) / 60) % 24;
      return 100 + 60 * Math.sin(((hour - 8) / 24) * 2 * Math.PI) + surge(i) + ((i * 7919) % 13) - 6;
    });
    const start = Date.UTC(2026, 0, 5);
    const result = await runBacktest({
      trace: { name: 'long', startMs: start, intervalMs: 300_000, values },
      unitCapacity: 10,
      primaryMax: 30,
      shadowMax: 20,
    });
    const file = join(dir, 'long.html');
    const html = renderBacktestReport(result);
    writeFileSync(file, html);

    // Act
    const layouts = chartLayouts(file, dir);
    const png = screenshot(file, dir, { width: 1400, height: 1000 });

    // Assert: the overview has one point per day, labelled by date on day boundaries.
    const byId = new Map(layouts.map((l) => [l.id, l]));
    const overview = byId.get('daily-capacity');
    expect(overview).toBeDefined();
    expect(byId.has('daily-overload')).toBe(true);
    expect(byId.has('capacity')).toBe(false);
    for (const tick of overview?.ticks ?? []) {
      expect(tick.label).toMatch(/^\d\d-\d\d$/);
      expect(tick.ms % 86_400_000).toBe(0);
    }
    expect(overview?.legend).toEqual(
      expect.arrayContaining(['demand, daily min–max', 'shadowscale: daily peak ready']),
    );
    // The surge days are among the zoomed ones, each a readable day of round hours.
    const zoomed = [...html.matchAll(/<h3>(\d{4}-\d\d-\d\d)<\/h3>/g)].map((m) => m[1]);
    expect(zoomed).toHaveLength(3);
    expect(zoomed).toEqual(expect.arrayContaining(['2026-01-08', '2026-01-12']));
    for (const k of [1, 2, 3]) {
      const day = byId.get(`capacity-day${k}`);
      expect(day?.ticks.length).toBeGreaterThanOrEqual(6);
      for (const tick of day?.ticks ?? []) {
        expect(tick.label).toMatch(/^\d\d:00$/);
        expect(tick.box.x0 >= (day?.svg.x0 ?? 0) && tick.box.x1 <= (day?.svg.x1 ?? 0)).toBe(true);
      }
      expect(day?.series.map((s) => s.name)).toEqual(
        expect.arrayContaining([
          'reactive: ready units',
          'shadowscale: ready units',
          'demand (units at target)',
        ]),
      );
    }
    // Every policy's daily peak is drawn in the overview.
    const box = overview?.svg ?? { x0: 0, y0: 0, x1: 0, y1: 0 };
    const region = {
      x0: Math.ceil(box.x0),
      y0: Math.ceil(box.y0),
      x1: Math.floor(box.x1),
      y1: Math.floor(box.y1),
    };
    for (const color of [COLORS.reactive, COLORS['hourly-predictive'], COLORS.shadowscale, COLORS.oracle])
      expect({ color, drawn: countColor(png, color, region) > 30 }).toEqual({ color, drawn: true });
  });

  it('draws the risk/cost frontier: settings, defaults, the envelope and the target zone', () => {
    // Prepare: a grid of settings whose cost rises as τU and overload fall, on two traces.
    const m = (tau: number, overload: number, unitHours: number) =>
      elasticity({ tau_u: tau, overload_minutes: overload, unit_hours: unitHours, cost: unitHours });
    const baselines: TraceBaseline[] = ['a', 'b'].map((trace) => ({
      trace,
      steps: 4000,
      intervalS: 300,
      reactive: m(10, 100, 100),
      oracle: m(0, 0, 98),
    }));
    const settings = riskGrid([0.9, 0.99], [0.1, 0.3, Number.POSITIVE_INFINITY]);
    const runs = settings.map((_, i) => ({
      a: m(10 / (1 + i), 100 / (1 + i), 100 + 4 * i),
      b: m(10 / (1 + 2 * i), 100 / (1 + i / 2), 100 + 6 * i),
    }));
    const points = frontier(settings, baselines, runs);
    const file = join(dir, 'frontier.html');
    writeFileSync(
      file,
      renderFrontierReport(points, hindsightEnvelope(settings, baselines, runs), {
        traces: 2,
        settings: settings.length,
      }),
    );

    // Act: render it.
    const png = screenshot(file, dir, { width: 1400, height: 1100 });

    // Assert: both charts carry their points, the envelope and the target zone.
    const charts = { x0: 0, y0: 100, x1: 1400, y1: 1100 };
    for (const color of [FRONTIER_COLORS.pareto, FRONTIER_COLORS.defaults, FRONTIER_COLORS.envelope])
      expect({ color, drawn: countColor(png, color, charts) > 30 }).toEqual({ color, drawn: true });
    // The zone is drawn at 35 % opacity over white.
    expect(countColor(png, '#fff0c5', charts, 12)).toBeGreaterThan(200);
  });
});
