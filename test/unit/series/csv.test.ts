import { ForecastInputError } from '../../../shared/errors';
import { parseTimestamp, parseTimestampValueCsv, toTimestampValueCsv } from '../../../shared/series/csv';
import { readFixture } from '../../helpers/fixtures';

describe('timestamp,value CSV', () => {
  it('reads a real NAB fixture with its header', () => {
    const points = parseTimestampValueCsv(readFixture('traces', 'nab-rds_cpu_utilization_cc0c53.csv'));
    expect(points).toHaveLength(4032);
    expect(points[0]?.t).toBe(Date.parse('2014-02-14T14:30:00Z'));
    expect(points.every((p) => Number.isFinite(p.v))).toBe(true);
  });

  it('keeps non-numeric values as NaN for hygiene to report, and rows in file order', () => {
    const points = parseTimestampValueCsv(
      'timestamp,value\n2026-01-01T00:05:00Z,2\n2026-01-01T00:00:00Z,\n2026-01-01T00:10:00Z,x\n',
    );
    expect(points.map((p) => p.t)).toEqual([
      Date.parse('2026-01-01T00:05:00Z'),
      Date.parse('2026-01-01T00:00:00Z'),
      Date.parse('2026-01-01T00:10:00Z'),
    ]);
    expect(points.map((p) => p.v)).toEqual([2, Number.NaN, Number.NaN]);
  });

  it('reads timestamps without a zone as UTC and with an offset as given', () => {
    expect(parseTimestamp('2014-02-14 14:30:00')).toBe(Date.parse('2014-02-14T14:30:00Z'));
    expect(parseTimestamp('2014-02-14T16:30:00+02:00')).toBe(Date.parse('2014-02-14T14:30:00Z'));
    expect(parseTimestamp('yesterday')).toBeNaN();
  });

  it('rejects an unreadable timestamp naming the line', () => {
    expect(() =>
      parseTimestampValueCsv('timestamp,value\n2026-01-01T00:00:00Z,1\nsoon,2\n', 'f.csv'),
    ).toThrow(new ForecastInputError('f.csv line 3: timestamp "soon" is not ISO-8601'));
    expect(() => parseTimestampValueCsv('just-one-column\n', 'f.csv')).toThrow(ForecastInputError);
  });

  it('round-trips through toTimestampValueCsv', () => {
    const csv = toTimestampValueCsv([
      { t: Date.parse('2026-01-01T00:00:00Z'), v: 1.5 },
      { t: Date.parse('2026-01-01T00:05:00Z'), v: null },
    ]);
    expect(csv).toBe('timestamp,value\n2026-01-01T00:00:00.000Z,1.5\n2026-01-01T00:05:00.000Z,\n');
    expect(parseTimestampValueCsv(csv).map((p) => p.v)).toEqual([1.5, Number.NaN]);
  });
});
