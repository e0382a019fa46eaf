import { ForecastInputError } from '../../../shared/errors';
import { DEFAULT_MAX_FILL_STEPS, engine } from '../../../shared/model';
import { parseTimestampValueCsv } from '../../../shared/series/csv';
import { readFixture } from '../../helpers/fixtures';
import { nth } from './synthetic';

const M5 = 300_000;
const T = Date.UTC(2026, 0, 1);
const at = (i: number, v: number) => ({ t: T + i * M5, v });

describe('input hygiene on the real fixture files', () => {
  it('regularises the RDS file (one irregular step) onto its 5-minute grid and says what it did', () => {
    const points = parseTimestampValueCsv(readFixture('traces', 'nab-rds_cpu_utilization_cc0c53.csv'));
    const { series, report } = engine.clean(points);
    expect(series.intervalMs).toBe(M5);
    expect(report.inputPoints).toBe(4032);
    // The file's single long step leaves one missing slot, filled as a short gap.
    expect(report.outputPoints).toBe(4033);
    expect(report.filled).toBe(1);
    expect(report.gaps).toBe(0);
    expect(series.values.every(Number.isFinite)).toBe(true);
  });

  it('realigns the EC2 file whose timestamps drift off the grid (ac20cd)', () => {
    const points = parseTimestampValueCsv(readFixture('traces', 'nab-ec2_cpu_utilization_ac20cd.csv'));
    const { series, report } = engine.clean(points);
    expect(series.intervalMs).toBe(M5);
    expect(report.realigned + report.filled + report.gaps + report.duplicatesDropped).toBeGreaterThan(0);
    expect(report.outputPoints).toBe(series.values.length);
    expect(series.values.length).toBe(
      Math.round((nth(points, points.length - 1).t - nth(points, 0).t) / M5) + 1,
    );
  });

  it('reads the 30-minute taxi file at its own interval', () => {
    const points = parseTimestampValueCsv(readFixture('traces', 'nab-nyc_taxi.csv'));
    const { series, report } = engine.clean(points);
    expect(series.intervalMs).toBe(1_800_000);
    expect(report.duplicatesDropped).toBe(0);
    expect(report.gaps).toBe(0);
  });
});

describe('input hygiene cases', () => {
  it.each([
    [
      'duplicates averaged',
      [at(0, 1), at(1, 2), at(1, 4), at(2, 5), at(3, 6)],
      { values: [1, 3, 5, 6], duplicatesDropped: 1 },
    ],
    [
      'out of order sorted',
      [at(2, 3), at(0, 1), at(1, 2), at(3, 4)],
      { values: [1, 2, 3, 4], outOfOrder: 1 },
    ],
    [
      'NaN dropped then the short hole filled linearly',
      [at(0, 0), at(1, Number.NaN), at(2, 20), at(3, 30)],
      { values: [0, 10, 20, 30], nonNumericDropped: 1, filled: 1 },
    ],
    [
      'long gap kept as a gap',
      [at(0, 1), at(1, 1), at(2, 1), at(8, 1), at(9, 1), at(10, 1)],
      { values: [1, 1, 1, NaN, NaN, NaN, NaN, NaN, 1, 1, 1], gaps: 5, filled: 0 },
    ],
    [
      'off-grid timestamps moved to the nearest slot',
      [at(0, 1), { t: T + M5 + 20_000, v: 2 }, at(2, 3), at(3, 4), at(4, 5)],
      { values: [1, 2, 3, 4, 5], realigned: 1 },
    ],
    [
      'counter reset counted, not altered',
      [at(0, 10), at(1, 20), at(2, 30), at(3, 40), at(4, 1), at(5, 2)],
      { values: [10, 20, 30, 40, 1, 2], resets: 1 },
    ],
  ] as const)('%s', (_name, points, want) => {
    const { series, report } = engine.clean(points);
    expect(series.startMs).toBe(T);
    expect(series.intervalMs).toBe(M5);
    expect(series.values).toEqual(want.values);
    const { values: _v, ...counts } = want;
    expect(report).toMatchObject(counts);
  });

  it(`fills gaps of up to ${DEFAULT_MAX_FILL_STEPS} steps by default and honours maxFillSteps`, () => {
    const pts = [at(0, 0), at(5, 50), at(6, 60), at(7, 70)];
    expect(engine.clean(pts).report).toMatchObject({ filled: 0, gaps: 4 });
    const wide = engine.clean(pts, { maxFillSteps: 4 });
    expect(wide.report).toMatchObject({ filled: 4, gaps: 0 });
    expect(wide.series.values.slice(0, 6)).toEqual([0, 10, 20, 30, 40, 50]);
  });

  it('uses a given interval instead of inferring one', () => {
    const { series } = engine.clean([at(0, 1), at(2, 3), at(4, 5)], { intervalMs: M5 });
    expect(series.values).toEqual([1, 2, 3, 4, 5]);
  });

  it.each([
    ['no numeric value', [at(0, Number.NaN), at(1, Number.POSITIVE_INFINITY)], {}, /no numeric values/],
    ['no points at all', [], {}, /no numeric values/],
    ['one timestamp, interval unknown', [at(0, 1), at(0, 2)], {}, /cannot infer the series interval/],
    ['a bad interval', [at(0, 1), at(1, 2)], { intervalMs: -5 }, /intervalMs must be a positive integer/],
    ['a bad maxFillSteps', [at(0, 1), at(1, 2)], { maxFillSteps: 1.5 }, /maxFillSteps must be an integer/],
    ['an absurd span', [at(0, 1), { t: T + 1e13, v: 2 }], { intervalMs: 1000 }, /check the interval/],
  ] as const)('rejects %s with ForecastInputError', (_name, points, options, message) => {
    expect(() => engine.clean(points, options)).toThrow(ForecastInputError);
    expect(() => engine.clean(points, options)).toThrow(message);
  });
});
