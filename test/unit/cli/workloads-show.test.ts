import { accuracySummary, behaviourSummary } from '../../../bin/cli/commands/workloads';
import { updateCorrelations } from '../../../shared/profile/correlation';
import { type MetricFingerprint, updateFingerprint } from '../../../shared/profile/fingerprint';
import { Workload, type WorkloadRecord } from '../../../shared/schemas/workload';
import { workloadInput } from '../../helpers/fixtures';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const STEP = 300_000;
const T0 = Date.UTC(2026, 0, 4);

describe('workloads show: behaviour and accuracy from the profile', () => {
  const points = Array.from({ length: (7 * DAY) / STEP }, (_, i) => {
    const t = T0 + i * STEP;
    // Busiest at 18:00 UTC, quietest at 06:00.
    return { t, v: 100 + 50 * Math.cos(2 * Math.PI * ((t % DAY) / DAY - 0.75)) };
  });
  const fingerprint = updateFingerprint(undefined, points) as MetricFingerprint;
  const cpu = points.map((p) => ({ t: p.t, v: p.v / 4 }));
  const record: WorkloadRecord = {
    workload: Workload.parse(workloadInput()),
    profile: {
      demand: {},
      metrics: {
        requests: {
          fingerprint,
          model: 'mseas-ets',
          accuracy: {
            h: { '15m': { n: 40, mae: 0.05, ratio: 1.1, c80: 0.78, c95: 0.93 } },
            through: T0 + 7 * DAY,
          },
          feedbackRefit: {
            at: T0 + 6 * DAY,
            detail: '1h: coverage 0.55 / 0.80 of 0.80 / 0.95 (tolerance 0.15)',
          },
        },
      },
      correlation: updateCorrelations(undefined, [
        { metric: 'requests', points, level: 100 },
        { metric: 'cpu', points: cpu, level: 25 },
      ]),
    },
    version: 3,
    createdAt: 0,
    updatedAt: 0,
  };

  it('names the busiest hour, the correlation with the other metric and the model', () => {
    const b = behaviourSummary(record) as Record<string, Record<string, unknown>>;
    expect(Math.abs((b.requests?.busiestHourUtc as number) - 18)).toBeLessThanOrEqual(1);
    expect(Math.abs((b.requests?.quietestHourUtc as number) - 6)).toBeLessThanOrEqual(1);
    expect((b.requests?.correlation as Record<string, number> | undefined)?.cpu).toBeGreaterThan(0.99);
    expect(b.requests?.model).toBe('mseas-ets');
    expect(b.cpu).toBeUndefined();
  });

  it('prints the running accuracy per horizon and the last refit it asked for', () => {
    expect(accuracySummary(record)).toEqual({
      requests: {
        horizons: {
          '15m': { scored: 40, maeVsLevel: 0.05, errorVsPromised: 1.1, coverage80: 0.78, coverage95: 0.93 },
        },
        scoredThrough: new Date(T0 + 7 * DAY).toISOString(),
        lastFeedbackRefit: {
          at: new Date(T0 + 6 * DAY).toISOString(),
          why: '1h: coverage 0.55 / 0.80 of 0.80 / 0.95 (tolerance 0.15)',
        },
      },
    });
  });
});
