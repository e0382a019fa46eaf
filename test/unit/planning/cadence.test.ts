import {
  type CadenceInput,
  DEFAULT_CADENCE,
  nextForecastRun,
  unitsAhead,
} from '../../../shared/planning/cadence';
import type { Prediction } from '../../../shared/schemas/series';
import { Workload } from '../../../shared/schemas/workload';
import { workloadInput } from '../../helpers/fixtures';

const NOW = 1_800_000_000_000;
const STEP = DEFAULT_CADENCE.stepMs;
const calm: CadenceInput = {
  nowMs: NOW,
  contended: false,
  score: 0,
  clearThreshold: 0.5,
  anomalous: false,
  breached: false,
  signalAhead: false,
  unitsAhead: Array.from({ length: 12 }, () => 4),
};

describe('nextForecastRun (adaptive cadence)', () => {
  it.each<[string, Partial<CadenceInput>, number, string]>([
    ['calm, plan flat for the whole gap', {}, 12, 'calm'],
    ['contended', { contended: true }, 1, 'contended'],
    ['near contention', { score: 0.25 }, 1, 'near contention'],
    ['just below near', { score: 0.24 }, 12, 'calm'],
    ['anomalous', { anomalous: true }, 1, 'anomaly'],
    ['past the forecast', { breached: true }, 1, 'forecast interval breached'],
    ['signal ahead', { signalAhead: true }, 1, 'signal ahead'],
    [
      'plan rises at run 3',
      { unitsAhead: [4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5] },
      3,
      'pre-warm plan changes in 3 runs',
    ],
    [
      'plan falls next run',
      { unitsAhead: [4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3] },
      1,
      'pre-warm plan changes next run',
    ],
    [
      'forecast ends at run 5',
      { unitsAhead: [4, 4, 4, 4, 4, Number.NaN] },
      5,
      'pre-warm plan changes in 5 runs',
    ],
    ['no forecast now', { unitsAhead: [Number.NaN] }, 1, 'no forecast of the pre-warm window'],
  ])('%s: every %i run(s)', (_name, patch, steps, reason) => {
    const d = nextForecastRun({ ...calm, ...patch });
    expect(d).toEqual({ steps, nextRunAt: NOW + steps * STEP, reason });
  });

  it('never waits longer than maxSteps', () => {
    expect(nextForecastRun(calm, { ...DEFAULT_CADENCE, maxSteps: 4 }).steps).toBe(4);
  });
});

describe('unitsAhead', () => {
  const workload = Workload.parse(workloadInput());
  const metric = workload.metrics[0] as Workload['metrics'][number];
  const prediction = (values: number[]): Prediction => ({
    workloadId: workload.workloadId,
    metric: metric.name,
    generatedAt: NOW,
    startMs: NOW,
    intervalMs: STEP,
    point: values,
    quantiles: [0.5, 0.8, 0.9, 0.95, 0.99].map((q) => ({ q, values })),
    model: 'test',
    confidence: 'high',
    signals: [],
  });

  it('is the units of the peak over each run’s pre-warm window, NaN past the forecast', () => {
    const one = Workload.parse({ ...workloadInput(), metrics: [metric] });
    const flat = unitsAhead(one, [prediction(Array.from({ length: 12 }, () => 1_000))], NOW, STEP, 12);
    expect(new Set(flat.filter(Number.isFinite)).size).toBe(1);
    expect(flat.some(Number.isNaN)).toBe(true);
    const rising = unitsAhead(
      one,
      [prediction(Array.from({ length: 24 }, (_, i) => (i < 5 ? 1_000 : 100_000)))],
      NOW,
      STEP,
      6,
    );
    expect(rising[0]).toBeLessThan(rising[5] as number);
  });
});
