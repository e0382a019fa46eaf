import {
  COLORS,
  chartGrid,
  type ForecastWidgetData,
  type MetricWidgetData,
  metricSeries,
  renderForecastWidget,
  renderWidgetMessage,
} from '../../../shared/report/forecast-widget';
import type { Prediction } from '../../../shared/schemas/series';
import { workload } from '../forecaster/helpers';

const STEP = 300_000;
const T0 = Date.UTC(2026, 0, 5);
const W = workload('checkout-api');
const REQUESTS = W.metrics[0] as MetricWidgetData['metric'];

function forecast(generatedAt: number, point: number[], spread = 10): Prediction {
  return {
    workloadId: W.workloadId,
    metric: REQUESTS.name,
    generatedAt,
    startMs: generatedAt + STEP,
    intervalMs: STEP,
    point,
    quantiles: [0.1, 0.5, 0.95].map((q) => ({
      q,
      values: point.map((v) => v + (q - 0.5) * 2 * spread),
    })),
    model: 'mstl',
    confidence: 'high',
    signals: [],
  };
}

function metric(over: Partial<MetricWidgetData> = {}): MetricWidgetData {
  return { metric: REQUESTS, actual: { kind: 'no-data' }, latest: undefined, history: [], ...over };
}

function data(over: Partial<ForecastWidgetData> = {}): ForecastWidgetData {
  return {
    workload: W,
    profile: undefined,
    decision: undefined,
    metrics: [metric()],
    fromMs: T0,
    toMs: T0 + 12 * STEP,
    nowMs: T0 + 12 * STEP,
    width: 800,
    ...over,
  };
}

const range = { fromMs: T0, toMs: T0 + 12 * STEP };
const at = (values: ArrayLike<number>, i: number) => values[i] as number;

describe('chartGrid', () => {
  it.each([
    ['the range at the metric period without a forecast', metric(), { startMs: T0, stepMs: STEP, count: 12 }],
    [
      'the range extended to the newest forecast end, at its interval',
      metric({ latest: forecast(T0 + 11 * STEP, [1, 2, 3, 4]) }),
      { startMs: T0, stepMs: STEP, count: 16 },
    ],
  ])('%s', (_name, m, expected) => {
    expect(chartGrid(range, m)).toEqual(expected);
  });

  it.each([
    [8, 60_000, 11_520],
    [9, 120_000, 6_480],
  ])(
    'draws %i days of a 1-minute metric at a step of %i ms (at most 12,000 points)',
    (days, stepMs, count) => {
      const perMinute = metric({ metric: { ...REQUESTS, periodSeconds: 60 } });
      expect(chartGrid({ fromMs: T0, toMs: T0 + days * 86_400_000 }, perMinute)).toEqual({
        startMs: T0,
        stepMs,
        count,
      });
    },
  );
});

describe('metricSeries', () => {
  it('places actuals, each forecast first step (the newest of a step wins) and the newest forecast with its band', () => {
    // Prepare: two forecasts made for the same step; the later one must be drawn.
    const older = { ...forecast(T0 + 2 * STEP, [50]), generatedAt: T0 + 2 * STEP };
    const newer = { ...forecast(T0 + 2 * STEP, [60]), generatedAt: T0 + 2 * STEP + 1 };
    const m = metric({
      actual: {
        kind: 'data',
        points: [
          { t: T0, v: 10 },
          { t: T0 + STEP, v: 20 },
        ],
      },
      history: [newer, older],
      latest: forecast(T0 + 11 * STEP, [100, 110]),
    });

    // Act
    const s = metricSeries(range, m);

    // Assert
    expect([at(s.actual, 0), at(s.actual, 1), at(s.actual, 2)]).toEqual([10, 20, Number.NaN]);
    expect(at(s.stepAhead, 3)).toBe(60);
    expect(at(s.forecast, 12)).toBe(100);
    expect(at(s.forecast, 13)).toBe(110);
    expect([at(s.low, 12), at(s.high, 12)]).toEqual([92, 109]);
    expect(s.bandNames).toEqual([0.1, 0.95]);
    // The planning path plans at the metric's quantile (0.95 by default): the top of the band here.
    expect(at(s.planning, 12)).toBe(109);
    expect(at(s.forecast, 11)).toBeNaN();
  });

  it('draws no band for a forecast with one quantile', () => {
    const one: Prediction = { ...forecast(T0, [5]), quantiles: [{ q: 0.5, values: [5] }] };
    const s = metricSeries(range, metric({ latest: one }));
    expect(s.bandNames).toBeUndefined();
    expect(Array.from(s.low).every(Number.isNaN)).toBe(true);
  });

  it('keeps the larger of two actuals that fall in one grid step', () => {
    const m = metric({
      actual: {
        kind: 'data',
        points: [
          { t: T0, v: 3 },
          { t: T0 + 60_000, v: 7 },
        ],
      },
    });
    expect(at(metricSeries(range, m).actual, 0)).toBe(7);
  });
});

describe('renderForecastWidget', () => {
  it('shows the decision, one chart per metric with its series keyed, and the accuracy per horizon', () => {
    // Prepare
    const html = renderForecastWidget(
      data({
        decision: {
          workloadId: W.workloadId,
          contended: true,
          score: 0.2,
          since: T0,
          updatedAt: T0 + 11 * STEP,
          recommendedShadowUnits: 4,
          anomalyScore: 0.9991,
          anomalousMetrics: ['requests'],
        },
        profile: {
          demand: {},
          metrics: {
            requests: {
              accuracy: {
                h: { '1h': { n: 40, mae: 0.12, ratio: 0.9, c80: 0.78, c95: 0.93 } },
                through: T0,
              },
            },
          },
        },
        metrics: [
          metric({ latest: forecast(T0 + 11 * STEP, [100, 110]) }),
          metric({ metric: W.metrics[1] as MetricWidgetData['metric'] }),
        ],
      }),
      'arn:aws:lambda:us-east-1:123456789012:function:widget',
    );

    // Assert
    expect(html).toContain('<b>contended</b>');
    expect(html).toContain('<b>0.2 / 0.05</b>');
    expect(html).toContain('<b>4</b>');
    expect(html).toContain('anomalous: requests');
    expect(html.match(/<figure/g)).toHaveLength(2);
    for (const color of [COLORS.actual, COLORS.forecast, COLORS.planning, COLORS.ceiling])
      expect(html).toContain(color);
    // 20 units × 6,000 per unit × 0.7 target utilisation.
    expect(html).toContain('primary at 20 units');
    expect(html).toContain(
      '<td>requests</td><td>1h</td><td>40</td><td>12 %</td><td>0.9</td><td>78 %</td><td>93 %</td>',
    );
    expect(html).toContain('endpoint="arn:aws:lambda:us-east-1:123456789012:function:widget"');
    expect(html).toContain('value="checkout-api"');
    expect(html).not.toContain('<script');
  });

  it.each([
    ['no decision yet', data(), 'not scored yet'],
    [
      'a CloudWatch error, escaped',
      data({ metrics: [metric({ actual: { kind: 'error', message: 'AccessDenied: <no>' } })] }),
      'CloudWatch: AccessDenied: &lt;no&gt;',
    ],
    ['no actuals', data(), 'CloudWatch has no data for this metric in the range.'],
    ['no accuracy yet', data(), 'No forecast scored against what happened yet.'],
    ['no forecast yet', data(), 'no forecast stored yet'],
  ])('says so when there is %s', (_name, d, text) => {
    expect(renderForecastWidget(d)).toContain(text);
  });
});

describe('renderWidgetMessage', () => {
  it('escapes the message and the id typed, and offers the picker only with an ARN to call', () => {
    const html = renderWidgetMessage('workload "<x>" is not registered', undefined, '<x>');
    expect(html).toContain('workload &quot;&lt;x&gt;&quot; is not registered');
    expect(html).toContain('value="&lt;x&gt;"');
    expect(html).not.toContain('cwdb-action');
    expect(renderWidgetMessage('m', 'arn:aws:lambda:us-east-1:1:function:f')).toContain('<cwdb-action');
  });
});
