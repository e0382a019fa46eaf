import {
  AnomalyOptions,
  AnomalyState,
  acrossMetrics,
  CALM,
  fisherCombine,
  initialAnomalyState,
  nextAnomalyStatus,
  observeSeries,
} from '../../../shared/anomaly';
import { detectPeriod } from '../../../shared/anomaly/season';

/** Deterministic noise (a fixed LCG), so the crafted series are the same on every run. */
function noise(n: number, seed = 7): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31 - 0.5;
  });
}
const base = (n: number): number[] => noise(n).map((e) => 100 + 4 * e);
const scoresOf = (values: number[]): (number | null)[] =>
  observeSeries(initialAnomalyState(), values).rows.map((r) => r.score);
const max = (xs: (number | null)[]): number => Math.max(...xs.map((x) => x ?? 0));

describe('anomaly score on crafted series', () => {
  it('noise only: no row looks like an anomaly', () => {
    const s = scoresOf(base(2000));
    expect(s.every((x) => x !== null && x >= 0 && x <= 1)).toBe(true);
    expect(max(s.slice(100))).toBeLessThan(0.9999);
  });

  it('a spike scores near 1 at its row, and is causal (earlier rows unchanged)', () => {
    const calm = base(1500);
    const spiked = [...calm];
    spiked[1200] = 160;
    const a = scoresOf(calm);
    const b = scoresOf(spiked);
    expect(b.slice(0, 1200)).toEqual(a.slice(0, 1200));
    expect(b[1200]).toBeGreaterThan(0.9999);
    expect(max(a.slice(100))).toBeLessThan(b[1200] as number);
  });

  it('a level shift is reported once, when it starts, not at every row after it', () => {
    const values = base(2000).map((v, i) => (i >= 1500 ? v + 40 : v));
    const s = scoresOf(values);
    expect(s[1500]).toBeGreaterThan(0.9999);
    const after = s.slice(1510, 2000).filter((x) => (x ?? 0) > 0.999);
    expect(after.length).toBeLessThan(3);
  });

  it('a step in volatility (the noise grows tenfold) raises the score, and it adapts', () => {
    const values = base(3000).map((v, i) => (i >= 1500 ? 100 + 10 * (v - 100) : v));
    const s = scoresOf(values);
    expect(max(s.slice(1500, 1520))).toBeGreaterThan(0.999);
    // A thousand rows later the new noise is the calibration: nothing stands out any more.
    expect(max(s.slice(2700))).toBeLessThan(0.9999);
  });

  it('missing data is its own outcome, never a zero', () => {
    const values = base(300);
    values[200] = Number.NaN;
    const rows = observeSeries(initialAnomalyState(), values).rows;
    expect(rows[200]?.score).toBeNull();
    expect(rows[201]?.score).not.toBeNull();
  });

  it('resuming from the stored state gives the same scores as one long call', () => {
    const values = base(1200);
    values[1100] = 150;
    const whole = observeSeries(initialAnomalyState(), values).rows;
    const first = observeSeries(initialAnomalyState(), values.slice(0, 700));
    const stored = JSON.parse(JSON.stringify(first.state));
    const second = observeSeries(stored, values.slice(700));
    expect([...first.rows, ...second.rows]).toEqual(whole);
  });

  it('reports the expected interval the row was judged against', () => {
    const rows = observeSeries(initialAnomalyState(), base(500)).rows;
    const last = rows[499]?.expected;
    expect(last).not.toBeNull();
    expect((last?.low ?? 0) < (last?.mid ?? 0) && (last?.mid ?? 0) < (last?.high ?? 0)).toBe(true);
  });

  it('options are validated with the field named', () => {
    const r = AnomalyOptions.safeParse({ blocksPerPeriod: 1 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['blocksPerPeriod']);
  });
});

/** A daily cycle of DAY rows: a peak of +30 in rows 40..55 of each day, except on day `skip`. */
const DAY = 96;
const daily = (n: number, skip = -1): number[] =>
  noise(n).map((e, i) => {
    const phase = i % DAY;
    const peak = phase >= 40 && phase < 56 && Math.floor(i / DAY) !== skip ? 30 : 0;
    return 100 + peak + 4 * e;
  });

describe('anomaly score on crafted series: what fires and what stays calm', () => {
  // [name, series, rows where the anomaly is, rows that must stay calm]
  const spike = base(2000);
  spike[1500] = 160;
  it.each([
    ['noise only', base(3000), null, [100, 3000]],
    ['a spike', spike, [1500, 1501], [600, 1500]],
    ['a step (level shift)', base(2000).map((v, i) => (i >= 1500 ? v + 40 : v)), [1500, 1501], [600, 1500]],
    ['a daily cycle', daily(2400), null, [700, 2400]],
    [
      'a daily peak that does not come',
      daily(2400, 18),
      [18 * DAY + 40, 18 * DAY + 60],
      [700, 18 * DAY + 40],
    ],
  ] as const)('%s', (_name, values, anomaly, calm) => {
    const s = scoresOf([...values]);
    expect(max(s.slice(calm[0], calm[1]))).toBeLessThan(0.999);
    if (anomaly) expect(max(s.slice(anomaly[0], anomaly[1]))).toBeGreaterThan(0.999);
  });

  it.each([
    ['a lasting shift of 2', (i: number) => (i >= 2500 ? 2 : 0)],
    ['a lasting shift of 3', (i: number) => (i >= 2500 ? 3 : 0)],
    ['a ramp of +0.02 a row', (i: number) => (i >= 2500 ? 0.02 * (i - 2500) : 0)],
    ['a ramp of +0.05 a row', (i: number) => (i >= 2500 ? 0.05 * (i - 2500) : 0)],
    ['a ramp of +0.1 a row', (i: number) => (i >= 2500 ? 0.1 * (i - 2500) : 0)],
  ])('%s (inside the row-to-row noise of ±2) stands out from every calm row', (_name, added) => {
    const values = base(3000).map((v, i) => v + added(i));
    const p = observeSeries(initialAnomalyState(), values).rows.map((r) => r.pValue);
    const calm = Math.min(...p.slice(600, 2500));
    const shifted = Math.min(...p.slice(2500, 2600));
    // The one-step miss alone cannot tell these rows from noise; the drift source can.
    expect(shifted).toBeLessThan(calm / 10);
  });

  it.each([
    ['a daily cycle', daily(600), DAY],
    ['noise', base(600), 0],
    ['a trend', base(600).map((v, i) => v + i), 0],
    ['too few rows', daily(6), 0],
  ])('period of %s: %d rows', (_name, values, period) => {
    expect(detectPeriod(values, 0.3)).toBe(period);
  });

  it('the stored state stays a few KB however long the series', () => {
    const { state } = observeSeries(initialAnomalyState(), daily(20_000, 100));
    expect(JSON.stringify(state).length).toBeLessThan(4_000);
  });

  it.each([
    ['version 1', { version: 1, count: 5, level: 1, misses: [], recentP: [], episode: [] }],
    [
      'version 2 (no drift source)',
      { ...observeSeries(initialAnomalyState(), base(300)).state, version: 2, drift: undefined },
    ],
    [
      'version 4 (one drift block length)',
      {
        ...observeSeries(initialAnomalyState(), base(300)).state,
        version: 4,
        drift: { slow: 1, base: 1, sum: 0, rows: 0, misses: { zero: 0, lo: 0, weights: [], sinceDecay: 0 } },
      },
    ],
    [
      'version 3 (a fast and a slow level)',
      {
        ...observeSeries(initialAnomalyState(), base(300)).state,
        version: 3,
        drift: { fast: 1, slow: 1, misses: { zero: 0, lo: 0, weights: [], sinceDecay: 0 } },
      },
    ],
  ])('a state stored by an older detector (%s) is read as a fresh one', (_name, stored) => {
    expect(AnomalyState.parse(stored)).toEqual(initialAnomalyState());
  });

  it.each([
    ['a slow level faster than a block', { driftBlockRows: [8, 50], driftSlowAlpha: 0.05 }, 'driftSlowAlpha'],
    ['no drift block length', { driftBlockRows: [] }, 'driftBlockRows'],
    ['more block lengths than kept', { driftBlockRows: [2, 4, 8, 16, 32] }, 'driftBlockRows'],
  ])('the drift options are validated: %s', (_name, options, field) => {
    const r = AnomalyOptions.safeParse(options);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual([field]);
  });

  it('the drift state follows the options: one per block length', () => {
    const { state } = observeSeries(
      initialAnomalyState(),
      base(100),
      AnomalyOptions.parse({ driftBlockRows: [4, 16, 64] }),
    );
    expect(state.drift.map((d) => d.rows)).toEqual([0, 4, 36]);
  });
});

describe('p-value combination', () => {
  it.each([
    [[0.5], 0.5],
    [[1, 1], 1],
    // Fisher, k = 2: x/2 = −ln(0.1 × 0.1) = 4.6052; e^{−4.6052}(1 + 4.6052) = 0.01 × 5.6052.
    [[0.1, 0.1], 0.01 * (1 + Math.log(100))],
  ])('fisher(%j) = %f', (ps, want) => {
    expect(fisherCombine(ps)).toBeCloseTo(want, 12);
  });
  it.each([
    [[0.01, 0.5, 0.9], 0.03],
    [[0.5, 0.6], 1],
    [[], 1],
  ])('across metrics (Bonferroni) %j = %f', (ps, want) => {
    expect(acrossMetrics(ps)).toBeCloseTo(want, 12);
  });
});

describe('anomaly hysteresis', () => {
  const h = { detectAt: 0.999, clearBelow: 0.99, clearAfterRows: 2 };
  it.each([
    ['calm stays calm', [0.5, 0.998], [null, null], false],
    ['one high row detects', [0.5, 0.9995], [null, 'detected'], true],
    ['between the thresholds holds', [0.9995, 0.995, 0.995], ['detected', null, null], true],
    ['one calm row is not enough', [0.9995, 0.5], ['detected', null], true],
    ['two calm rows clear', [0.9995, 0.5, 0.5], ['detected', null, 'cleared'], false],
    ['a high row resets the calm count', [0.9995, 0.5, 0.995, 0.5], ['detected', null, null, null], true],
    ['missing data changes nothing', [0.9995, null, null, null], ['detected', null, null, null], true],
  ])('%s', (_name, scores, transitions, active) => {
    let status = CALM;
    const got = scores.map((score, i) => {
      const next = nextAnomalyStatus(status, score, i * 1000, h);
      status = next.status;
      return next.transition;
    });
    expect(got).toEqual(transitions);
    expect(status.active).toBe(active);
  });
});

describe('workloads show: anomaly summary', () => {
  it('lists per-metric scores and the anomalous ones, null before the first run', async () => {
    const { anomalySummary } = await import('../../../bin/cli/commands/workloads');
    expect(anomalySummary(undefined, [undefined])).toBeNull();
    const { state } = observeSeries(initialAnomalyState(), [1, 2, 3]);
    const anomaly = {
      lastPointMs: 600_000,
      detector: state,
      status: { active: true, since: 300_000, peak: 0.9995, calmRows: 0 },
      score: 0.9995,
      pValue: 0.0005,
    };
    const summary = anomalySummary(
      {
        workloadId: 'a',
        contended: false,
        score: 0,
        since: 0,
        updatedAt: 600_000,
        anomalyScore: 0.999,
        anomalousMetrics: ['cpu'],
      },
      [{ workloadId: 'a', metric: 'cpu', lastPointMs: 600_000, fittedAt: 0, state: {}, anomaly }, undefined],
    );
    expect(summary).toEqual({
      score: 0.999,
      anomalousMetrics: ['cpu'],
      metrics: {
        cpu: {
          score: 0.9995,
          active: true,
          since: '1970-01-01T00:05:00.000Z',
          asOf: '1970-01-01T00:10:00.000Z',
        },
      },
    });
  });
});

describe('local run: anomaly lines', () => {
  it('notes a detected and a cleared anomaly, and ignores other events', async () => {
    const { anomalyNotes } = await import('../../../bin/local/anomaly-notes');
    const lines: [number, string, string][] = [];
    const onEvent = anomalyNotes((at, kind, text) => lines.push([at, kind, text]));
    onEvent({
      detailType: 'Anomaly Detected',
      detail: {
        workloadId: 'w',
        metric: 'requests',
        at: 60_000,
        observed: 900,
        expectedLow: 80,
        expectedHigh: 120,
        score: 0.9999,
      },
    });
    onEvent({
      detailType: 'Anomaly Cleared',
      detail: { workloadId: 'w', metric: 'requests', at: 1_860_000, since: 60_000, score: 0.1 },
    });
    onEvent({
      detailType: 'Contention Cleared',
      detail: { workloadId: 'w', score: 0, clearThreshold: 0.5, clearedAt: 0 },
    });
    expect(lines).toEqual([
      [60_000, 'anomaly', 'requests: 900 outside the expected 80..120 (score 0.9999)'],
      [1_860_000, 'anomaly', 'requests: calm again (anomalous for 30 min)'],
    ]);
  });
});
