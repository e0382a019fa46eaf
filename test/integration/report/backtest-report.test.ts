import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBacktest } from '../../../shared/backtest/runner';
import { COLORS, renderBacktestReport } from '../../../shared/report';
import { countColor, describeRender, screenshot } from '../../helpers/chromium';

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

  it('draws demand, capacity per policy, the shadow pool and the weights', () => {
    // Prepare: a backtest whose surge needs the shadow pool.
    const result = runBacktest({
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
});
