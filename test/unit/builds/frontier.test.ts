import { compareAtEqualCost, type FrontierPoint } from '../../../bench/builds';

const pt = (
  family: FrontierPoint['family'],
  policy: string,
  costUsd: number,
  p95QueueSeconds: number,
): FrontierPoint => ({
  family,
  policy,
  costUsd,
  p95QueueSeconds,
  queuedShare: 0,
});

describe('comparison at equal cost along the frontier', () => {
  it.each([
    [
      'reactive reaches 0 s only above the broker point: the broker wins there',
      [
        pt('broker', 'b1', 150, 45),
        pt('broker', 'b2', 500, 0),
        pt('reactive', 'r1', 120, 45),
        pt('reactive', 'r2', 400, 45),
        pt('reactive', 'r3', 900, 0),
      ],
      {
        best: { ratio: 0.022, broker: 'b2', reactive: 'r2' },
        worst: { ratio: 1, broker: 'b1', reactive: 'r1' },
      },
    ],
    [
      'reactive reaches 0 s as cheaply: no gain',
      [pt('broker', 'b1', 500, 0), pt('reactive', 'r1', 450, 0)],
      { best: { ratio: 1, broker: 'b1', reactive: 'r1' }, worst: { ratio: 1, broker: 'b1', reactive: 'r1' } },
    ],
    [
      'a broker point cheaper than every reactive point is not compared',
      [pt('broker', 'b1', 100, 0), pt('reactive', 'r1', 200, 45)],
      { best: null, worst: null },
    ],
  ])('%s', (_what, points, expected) => {
    const got = compareAtEqualCost(points);
    const brief = (x: ReturnType<typeof compareAtEqualCost>['best']) =>
      x ? { ratio: x.ratio, broker: x.broker.policy, reactive: x.reactive.policy } : null;
    expect({ best: brief(got.best), worst: brief(got.worst) }).toEqual(expected);
  });
});
