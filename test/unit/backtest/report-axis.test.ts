import {
  busiestDays,
  dailyCount,
  dailyEnvelope,
  lineChart,
  type TimeTick,
  timeTicks,
  utcDays,
} from '../../../shared/report';

const at = (iso: string): number => Date.parse(`${iso}Z`);
const labels = (ticks: TimeTick[]): string[] => ticks.map((t) => t.label);

describe('timeTicks: round UTC times', () => {
  it.each([
    // [from, to, max ticks, expected labels]
    [
      '2014-07-15T00:00',
      '2014-07-15T23:55',
      12,
      [
        '00:00',
        '02:00',
        '04:00',
        '06:00',
        '08:00',
        '10:00',
        '12:00',
        '14:00',
        '16:00',
        '18:00',
        '20:00',
        '22:00',
      ],
    ],
    [
      '2014-07-15T00:00',
      '2014-07-15T23:55',
      8,
      ['00:00', '03:00', '06:00', '09:00', '12:00', '15:00', '18:00', '21:00'],
    ],
    ['2014-07-15T09:07', '2014-07-15T11:41', 6, ['09:30', '10:00', '10:30', '11:00', '11:30']],
    ['2014-07-15T09:07', '2014-07-15T09:50', 5, ['09:10', '09:20', '09:30', '09:40', '09:50']],
    // Several days at sub-day steps: the date where the day changes.
    [
      '2014-07-14T18:00',
      '2014-07-16T06:00',
      8,
      ['18:00', '07-15', '06:00', '12:00', '18:00', '07-16', '06:00'],
    ],
    [
      '2014-07-01T05:00',
      '2014-07-08T00:00',
      8,
      ['07-02', '07-03', '07-04', '07-05', '07-06', '07-07', '07-08'],
    ],
    // Weeks start on Mondays (2014-07-07 and 2014-07-21 were Mondays).
    [
      '2014-07-01T00:00',
      '2014-08-31T00:00',
      10,
      ['07-07', '07-14', '07-21', '07-28', '08-04', '08-11', '08-18', '08-25'],
    ],
    [
      '2014-07-01T00:00',
      '2015-01-31T00:00',
      8,
      ['2014-07', '2014-08', '2014-09', '2014-10', '2014-11', '2014-12', '2015-01'],
    ],
    ['2014-07-01T00:00', '2015-01-31T00:00', 4, ['2014-07', '2014-09', '2014-11', '2015-01']],
    ['2013-02-10T00:00', '2016-12-31T00:00', 6, ['2014-01', '2015-01', '2016-01']],
    ['2000-01-01T00:00', '2030-01-01T00:00', 4, ['2000-01', '2010-01', '2020-01', '2030-01']],
  ])('%s .. %s, at most %i', (from, to, most, want) => {
    const ticks = timeTicks(at(from), at(to), most);
    expect(labels(ticks)).toEqual(want);
    for (const t of ticks) {
      expect(t.ms).toBeGreaterThanOrEqual(at(from));
      expect(t.ms).toBeLessThanOrEqual(at(to));
    }
  });

  it('never gives more ticks than asked for', () => {
    for (const hours of [0.5, 3, 25, 24 * 9, 24 * 200, 24 * 900, 24 * 9000])
      for (const most of [3, 6, 12])
        expect(timeTicks(0, hours * 3_600_000, most).length).toBeLessThanOrEqual(most);
  });

  it.each([
    [Number.NaN, 1],
    [10, 5],
  ])('gives none for an empty or reversed range (%f, %f)', (t0, t1) => {
    expect(timeTicks(t0, t1)).toEqual([]);
  });
});

describe('lineChart time axis', () => {
  it('labels every tick at a round time, and keeps the last label inside the chart', () => {
    // A day of 5-minute steps starting at midnight, drawn at the report's width.
    const t = Array.from({ length: 288 }, (_, i) => at('2014-07-15T00:00') + i * 300_000);
    const svg = lineChart({
      title: 'day',
      t,
      series: [{ name: 's', color: '#000000', values: t.map((_, i) => i) }],
      width: 1200,
    });
    const ticks = [
      ...svg.matchAll(
        /<text class="tick xtick" data-ms="(\d+)" x="([\d.]+)"[^>]*text-anchor="(\w+)">([^<]+)</g,
      ),
    ];
    expect(ticks.map((m) => m[4])).toEqual([
      '00:00',
      '02:00',
      '04:00',
      '06:00',
      '08:00',
      '10:00',
      '12:00',
      '14:00',
      '16:00',
      '18:00',
      '20:00',
      '22:00',
    ]);
    for (const m of ticks) expect(Number(m[1]) % 7_200_000).toBe(0);
    expect(svg).toContain('UTC · 2014-07-15');
  });

  it('anchors a label at the right edge when centring it would cut it', () => {
    const t = [at('2014-07-15T00:00'), at('2014-07-16T00:00')];
    const svg = lineChart({
      title: 'edge',
      t,
      series: [{ name: 's', color: '#000000', values: [1, 2] }],
      width: 400,
    });
    const last = [
      ...svg.matchAll(/<text class="tick xtick"[^>]*x="([\d.]+)"[^>]*text-anchor="(\w+)">([^<]+)</g),
    ].pop();
    expect(last?.[3]).toBe('07-16');
    expect(last?.[2]).toBe('end');
    expect(Number(last?.[1])).toBeLessThanOrEqual(400);
  });

  it('keys each kind of event marker once in the legend', () => {
    const t = [0, 3_600_000, 7_200_000];
    const svg = lineChart({
      title: 'events',
      t,
      series: [{ name: 's', color: '#000000', values: [1, 2, 3] }],
      events: [
        { t: 1_000, label: 'a', color: '#ff0000', kind: 'rollback' },
        { t: 2_000, label: 'b', color: '#ff0000', kind: 'rollback' },
        { t: 3_000, label: 'c', color: '#00ff00', kind: 'weight step' },
        { t: 99_999_999, label: 'outside', color: '#0000ff', kind: 'not drawn' },
      ],
    });
    const keys = [...svg.matchAll(/class="key event-key">.*?<\/i>([^<]+)</g)].map((m) => m[1]);
    expect(keys).toEqual(['rollback', 'weight step']);
    expect(svg.match(/<line class="event"/g)).toHaveLength(3);
  });
});

describe('daily views', () => {
  const DAY = 86_400_000;
  // Three days of 6-hour steps, starting at 12:00 on the first.
  const t = Array.from({ length: 10 }, (_, i) => 12 * 3_600_000 + i * 6 * 3_600_000);
  const v = [5, 7, 1, 2, 3, 9, Number.NaN, 4, 6, 8];

  it('groups samples by UTC day', () => {
    expect(utcDays(t)).toEqual([
      { dayMs: 0, from: 0, to: 2 },
      { dayMs: DAY, from: 2, to: 6 },
      { dayMs: 2 * DAY, from: 6, to: 10 },
    ]);
    expect(utcDays([])).toEqual([]);
  });

  it('gives each day its lowest and highest finite value', () => {
    const env = dailyEnvelope(utcDays(t), v);
    expect([...env.min]).toEqual([5, 1, 4]);
    expect([...env.max]).toEqual([7, 9, 8]);
    const empty = dailyEnvelope(utcDays([0, 1]), [Number.NaN, Number.NaN]);
    expect([...empty.min]).toEqual([Number.NaN]);
  });

  it('counts the steps of each day where a flag holds', () => {
    expect([...dailyCount(utcDays(t), (i) => (v[i] as number) > 4)]).toEqual([2, 1, 2]);
  });

  it.each([
    // [rank of each day, count, chosen day indexes]
    [
      [
        [0, 5],
        [30, 2],
        [10, 9],
        [30, 1],
      ],
      2,
      [1, 3],
    ],
    [
      [
        [0, 5],
        [0, 2],
        [0, 9],
        [0, 1],
      ],
      2,
      [0, 2],
    ],
    [
      [
        [3, 1],
        [3, 1],
      ],
      1,
      [0],
    ],
    [[[1, 1]], 3, [0]],
    [
      [
        [Number.NaN, 2],
        [0, 1],
      ],
      1,
      [0],
    ],
  ])('busiest days of %j, %i of them', (ranks, count, want) => {
    const days = ranks.map((_, k) => ({ dayMs: k * DAY, from: k, to: k + 1 }));
    const chosen = busiestDays(days, (_, k) => ranks[k] as number[], count);
    expect(chosen.map((d) => d.from)).toEqual(want);
  });
});
