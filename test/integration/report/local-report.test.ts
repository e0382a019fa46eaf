import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_COLORS, type LocalReportInput, localReportHtml } from '../../../bin/local/report';
import { Workload } from '../../../shared/schemas/workload';
import { FleetHistory } from '../../../shared/sim/fleet';
import { chartLayouts, countColor, describeRender, screenshot } from '../../helpers/chromium';
import { workloadInput } from '../../helpers/fixtures';
import { elasticity } from '../../helpers/metrics';

/**
 * The local run's report in headless Chromium, on a day drawn to be hard to read: the primary
 * pool holds exactly reactive's size all day and the shadow pool is never used until the evening,
 * so three capacity lines lie on one another. Each must still show, every time label must sit on
 * a round time inside the chart, and the event markers must be keyed in the legend.
 */
const DAY0 = Date.UTC(2014, 6, 15);
const STEP = 300_000;
const N = 288;

function history(ready: (i: number) => number, shadow: (i: number) => number): FleetHistory {
  const h = new FleetHistory();
  for (let i = 0; i < N; i++) {
    const hour = (i * STEP) / 3_600_000;
    h.t.push(DAY0 + i * STEP);
    h.demand.push(700 * (6 + 4 * Math.sin(((hour - 8) / 24) * 2 * Math.PI)));
    h.readyPrimary.push(ready(i));
    h.readyShadow.push(shadow(i));
    h.billedPrimary.push(ready(i));
    h.billedShadow.push(shadow(i));
    h.shadowShare.push(shadow(i) > 0 ? 0.3 : 0);
    h.unserved.push(0);
  }
  return h;
}

function input(): LocalReportInput {
  const steps = (i: number): number => 4 + Math.floor(i / 36);
  const evening = (i: number): number => (i > 220 ? 3 : 0);
  const at = (h: number, m = 0): number => DAY0 + h * 3_600_000 + m * 60_000;
  return {
    title: 'Shadowscale local run — synthetic',
    workload: Workload.parse(workloadInput()),
    unitCapacity: 1000,
    from: 0,
    history: history(steps, evening),
    reactive: history(steps, () => 0),
    timeline: [
      { atMs: at(18), kind: 'contention', text: 'contention PREDICTED score 0.61' },
      { atMs: at(18, 5), kind: 'migration', text: 'migration-w-1 started' },
      { atMs: at(18, 20), kind: 'weights', text: 'primary 70% / shadow 30% (read back, verified)' },
      { atMs: at(19), kind: 'migration', text: 'migration-w-1 succeeded' },
      { atMs: at(21), kind: 'anomaly', text: 'requests: level shift' },
    ],
    shadowscale: elasticity({ overload_minutes: 0, unit_hours: 250 }),
    reactiveMetrics: elasticity({ overload_minutes: 100, unit_hours: 220 }),
    oracleMetrics: elasticity({ overload_minutes: 0, unit_hours: 200 }),
    floorLift: [{ atMs: at(17), units: 2 }],
    primaryMax: 12,
    wallSeconds: 1,
  };
}

describeRender('local run report in headless Chromium (lines that meet)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'shadowscale-local-report-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows every capacity line, round time ticks inside the chart, and keys the event markers', () => {
    // Prepare
    const file = join(dir, 'local.html');
    writeFileSync(file, localReportHtml(input()));

    // Act
    const layouts = chartLayouts(file, dir);
    const png = screenshot(file, dir, { width: 1400, height: 1400 });

    // Assert: time labels are HH:MM on the hour, every one inside its chart.
    for (const chart of layouts) {
      expect(chart.ticks.map((t) => t.label)).toContain('00:00');
      for (const tick of chart.ticks) {
        expect({
          tick: tick.label,
          round: /^\d\d:00$/.test(tick.label) && tick.ms % 3_600_000 === 0,
        }).toEqual({
          tick: tick.label,
          round: true,
        });
        expect({
          tick: tick.label,
          inside: tick.box.x0 >= chart.svg.x0 && tick.box.x1 <= chart.svg.x1,
        }).toEqual({
          tick: tick.label,
          inside: true,
        });
      }
    }
    const capacity = layouts.find((c) => c.id === 'capacity');
    expect(capacity?.eventKeys).toEqual([
      'contention predicted / cleared',
      'migration started / ended',
      'anomaly',
    ]);
    expect(capacity?.events).toBe(4);
    expect(layouts.find((c) => c.id === 'weights')?.eventKeys).toEqual(['verified weight step']);
    // Each line shows in the picture although primary, primary + shadow and reactive coincide
    // until the evening.
    const svg = capacity?.svg ?? { x0: 0, y0: 0, x1: 0, y1: 0 };
    const plot = {
      x0: Math.ceil(svg.x0),
      y0: Math.ceil(svg.y0),
      x1: Math.floor(svg.x1),
      y1: Math.floor(svg.y1),
    };
    const morning = { ...plot, x1: Math.floor(svg.x0 + (svg.x1 - svg.x0) * 0.7) };
    for (const [name, color] of Object.entries(LOCAL_COLORS)) {
      const region = name === 'shadow' ? plot : morning;
      expect({ name, pixels: countColor(png, color, region, 12) > 60 }).toEqual({ name, pixels: true });
    }
    // The cost summary names each pool's unit-hours beside reactive's and what they bought.
    const html = localReportHtml(input());
    expect(html).toMatch(/id="cost-summary">Shadowscale paid for <b>[\d.]+<\/b> unit-hours/);
    expect(html).toContain('pre-warm floor');
    expect(html).toContain('100</b> fewer overloaded minutes');
  });
});
