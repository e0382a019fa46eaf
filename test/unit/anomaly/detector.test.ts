import {
  AnomalyOptions,
  AnomalyState,
  acrossMetrics,
  anomalyWindows,
  CALM,
  fisherCombine,
  initialAnomalyState,
  nextAnomalyStatus,
  observeSeries,
} from '../../../shared/anomaly';
import { missCode, missValue, pCode, pValueOf, snapMiss, snapP } from '../../../shared/anomaly/codes';

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
    const r = AnomalyOptions.safeParse({ window: 0 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['window']);
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

describe('compact windows (24-bit codes)', () => {
  const exact = AnomalyOptions.parse({ exactWindows: true });
  const crafted: [string, number[]][] = [
    ['noise', base(2000)],
    ['spike', base(1500).map((v, i) => (i === 1200 ? 160 : v))],
    ['level shift', base(2000).map((v, i) => (i >= 1500 ? v + 40 : v))],
    ['volatility step', base(3000).map((v, i) => (i >= 1500 ? 100 + 10 * (v - 100) : v))],
    ['large magnitudes', base(1500).map((v, i) => 1e9 * v + (i === 1300 ? 3e11 : 0))],
    ['tiny magnitudes', base(1500).map((v, i) => 1e-6 * v + (i === 1300 ? 3e-5 : 0))],
    ['regular bursts', base(1500).map((v, i) => (i % 50 === 0 ? v + 20 : v))],
    ['integer counts with ties', base(1500).map((v) => Math.round(v / 2))],
  ];

  // Stated tolerance: every row's score within 0.002 of the full-precision detector, and the same
  // rows above 0.999 (what the hysteresis acts on) apart from rows within 0.002 of that line.
  it.each(crafted)('%s: scores within 0.002 of full-precision windows', (_name, values) => {
    const compact = observeSeries(initialAnomalyState(), values).rows;
    const full = observeSeries(initialAnomalyState(), values, exact).rows;
    let worst = 0;
    compact.forEach((row, i) => {
      const other = full[i]?.score ?? null;
      if (row.score === null || other === null) expect(row.score).toBe(other);
      else worst = Math.max(worst, Math.abs(row.score - other));
    });
    expect(worst).toBeLessThanOrEqual(0.002);
    const flagged = (rows: typeof compact) => rows.flatMap((r, i) => ((r.score ?? 0) > 0.999 ? [i] : []));
    const near = new Set(full.flatMap((r, i) => (Math.abs((r.score ?? 0) - 0.999) <= 0.002 ? [i] : [])));
    expect(flagged(compact).filter((i) => !near.has(i))).toEqual(flagged(full).filter((i) => !near.has(i)));
  });

  it('stores a third of the bytes and resumes exactly where one long call would be', () => {
    const values = base(1500).map((v, i) => (i === 1400 ? 150 : v));
    const compact = observeSeries(initialAnomalyState(), values.slice(0, 1200));
    const full = observeSeries(initialAnomalyState(), values.slice(0, 1200), exact);
    expect(compact.state.version).toBe(2);
    expect(JSON.stringify(compact.state).length * 2.5).toBeLessThan(JSON.stringify(full.state).length);

    const whole = observeSeries(initialAnomalyState(), values).rows;
    const stored = AnomalyState.parse(JSON.parse(JSON.stringify(compact.state)));
    const rest = observeSeries(stored, values.slice(1200));
    expect([...compact.rows, ...rest.rows]).toEqual(whole);
  });

  it('reads a version 1 state (full-precision lists) and continues from it', () => {
    const values = base(1300).map((v, i) => (i === 1250 ? 150 : v));
    const v1 = observeSeries(initialAnomalyState(), values.slice(0, 1000), exact).state;
    expect(v1.version).toBe(1);
    const resumed = observeSeries(AnomalyState.parse(v1), values.slice(1000));
    const reference = observeSeries(v1, values.slice(1000), exact);
    expect(resumed.state.version).toBe(2);
    expect(anomalyWindows(resumed.state).misses).toHaveLength(1000);
    resumed.rows.forEach((row, i) => {
      expect(Math.abs((row.score ?? 0) - (reference.rows[i]?.score ?? 0))).toBeLessThanOrEqual(0.002);
    });
  });

  it.each([0, 1e-30, 1e-12, 0.37, 1, 4_200, 7.5e15])('miss %p: snapped within 0.001 %, codes stable', (x) => {
    const snapped = snapMiss(x);
    expect(Math.abs(snapped - x)).toBeLessThanOrEqual(1e-5 * x);
    expect(missCode(missValue(missCode(x)))).toBe(missCode(x));
    expect(snapMiss(snapped)).toBe(snapped);
  });

  it.each([1, 0.5, 1e-3, 1e-40, 0])('p-value %p: snapped within 0.001 % (0 to the smallest code)', (p) => {
    const snapped = snapP(p);
    if (p > 0) expect(Math.abs(snapped - p)).toBeLessThanOrEqual(1e-5 * p);
    else expect(snapped).toBe(pValueOf(2 ** 24 - 1));
    expect(pCode(snapped)).toBe(pCode(p));
  });
});
