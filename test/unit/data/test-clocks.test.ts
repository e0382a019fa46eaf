import { epochAhead, HOUR_MS, WEEK_MS } from '../../helpers/epoch';
import { T0 as forecasterT0 } from '../forecaster/helpers';
import { T0 as contractT0 } from './repository-contract';

// The DynamoDB suites also run on DynamoDB Local, which deletes items whose TTL has passed: a test
// clock behind the wall clock makes them fail on some days only.
describe('the clocks the DynamoDB suites start from', () => {
  it.each([
    ['repository contract', contractT0],
    ['forecaster harness', forecasterT0],
  ])('%s starts ahead of the wall clock', (_name, t0) => {
    expect(t0).toBeGreaterThan(Date.now());
  });

  it.each([
    [HOUR_MS, Date.UTC(2026, 11, 4, 16, 30), Date.UTC(2026, 11, 4, 17)],
    [HOUR_MS, Date.UTC(2026, 11, 4, 17), Date.UTC(2026, 11, 4, 18)],
    [WEEK_MS, Date.UTC(2026, 11, 4, 16, 30), Date.UTC(2026, 11, 10)],
  ])('epochAhead(%d, %d) = %d', (align, now, expected) => {
    expect(epochAhead(align, now)).toBe(expected);
  });

  it('a week-aligned start is a Thursday, 00:00 UTC, on any date', () => {
    const start = new Date(epochAhead(WEEK_MS, Date.UTC(2031, 6, 15, 3)));
    expect([start.getUTCDay(), start.getUTCHours(), start.getUTCMinutes()]).toEqual([4, 0, 0]);
  });
});
