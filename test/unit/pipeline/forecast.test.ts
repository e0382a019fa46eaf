import { ForecastInputError } from '../../../shared/errors';
import {
  forecastStage,
  type InFlightDeployment,
  type StageForecastInput,
} from '../../../shared/pipeline/forecast';
import type { PreviousDecision } from '../../../shared/planning/hysteresis';
import type { Prediction } from '../../../shared/schemas/series';
import { Workload, type WorkloadInput } from '../../../shared/schemas/workload';
import { workloadInput } from '../../helpers/fixtures';

const T0 = Date.UTC(2026, 10, 23, 9, 0);
const MIN = 60_000;
// checkout-api: requests capacity 20 x 6000 x 0.7 = 84 000 per step; cpu 20 x 100 x 0.7 = 1 400.
// The deployment window is 600 s deploy + 900 s bake = 25 minutes: steps 0..4 of 5 minutes.
const CAP = 84_000;

function forecast(metric: string, values: number[], startMs = T0): Prediction {
  return {
    workloadId: 'checkout-api',
    metric,
    generatedAt: startMs,
    startMs,
    intervalMs: 5 * MIN,
    point: values.map((v) => v * 0.8),
    quantiles: [{ q: 0.95, values }],
    model: 'ets',
    confidence: 'high',
    signals: [],
  };
}

const flat = (v: number, n = 12) => Array.from({ length: n }, () => v);
const spikeAt = (step: number, v: number, base: number) => flat(base).map((x, i) => (i === step ? v : x));

function workload(patch: (w: WorkloadInput) => void = () => {}): Workload {
  const input = workloadInput();
  patch(input);
  return Workload.parse(input);
}

function input(over: Partial<StageForecastInput> & { requests?: number[] } = {}): StageForecastInput {
  const { requests, ...rest } = over;
  return {
    workload: workload(),
    stage: 'prod',
    forecasts: [forecast('requests', requests ?? flat(60_000)), forecast('cpu', flat(700))],
    previous: undefined,
    inFlight: [],
    nowMs: T0,
    ...rest,
  };
}

const holding = (units: number, fromMin: number, toMin: number): InFlightDeployment => ({
  operationId: 'deploy-other',
  stage: 'hotfix',
  version: 'v41',
  occupiedUnits: units,
  fromMs: T0 + fromMin * MIN,
  untilMs: T0 + toMin * MIN,
});

const contended: PreviousDecision = { contended: true, since: T0 - 30 * MIN };
const calm: PreviousDecision = { contended: false, since: T0 - 30 * MIN };

describe('forecastStage', () => {
  it.each<[string, Partial<StageForecastInput> & { requests?: number[] }, boolean, string, number]>([
    ['demand under capacity all window', {}, false, 'clear', 0],
    // 20 % over on requests (weight 0.7 of 1.0): 0.14.
    ['a peak inside the window', { requests: spikeAt(2, CAP * 1.2, 60_000) }, true, 'contended', 0.14],
    ['a peak after the window', { requests: spikeAt(8, CAP * 1.2, 60_000) }, false, 'clear', 0],
    [
      'a longer deployment reaches the later peak',
      { requests: spikeAt(8, CAP * 1.2, 60_000), deploySeconds: 2_400 },
      true,
      'contended',
      0.14,
    ],
    // 80 000 + 4 units x 4 200 = 96 800, 15.2 % over: the units other deployments hold count.
    [
      'in-flight deployments hold capacity',
      { requests: flat(80_000), inFlight: [holding(4, 0, 30)] },
      true,
      'contended',
      (0.7 * (16_800 - 4_000)) / CAP,
    ],
    [
      'in-flight deployment outside the window',
      { requests: flat(80_000), inFlight: [holding(4, 30, 60)] },
      false,
      'clear',
      0,
    ],
    // 3 % over: between clear (0.01) and threshold (0.05).
    [
      'hysteresis: contended stays contended above clear',
      { requests: flat(CAP * (1 + 0.03 / 0.7)), previous: contended },
      true,
      'still-contended',
      0.03,
    ],
    [
      'hysteresis: calm stays calm under threshold',
      { requests: flat(CAP * (1 + 0.03 / 0.7)), previous: calm },
      false,
      'clear',
      0.03,
    ],
    [
      'hysteresis: clears at the clear threshold',
      { requests: flat(CAP * 1.005), previous: contended },
      false,
      'cleared',
      0.7 * 0.005,
    ],
    ['operator forces a branch', { mode: 'branch' }, true, 'forced-branch', 0],
    [
      'operator forces the primary',
      { requests: spikeAt(2, CAP * 1.2, 60_000), mode: 'primary' },
      false,
      'forced-primary',
      0.14,
    ],
  ])('%s', (_name, over, branch, reasonCode, score) => {
    const out = forecastStage(input(over));

    expect(out.branch).toBe(branch);
    expect(out.reasonCode).toBe(reasonCode);
    expect(out.score).toBeCloseTo(score, 6);
    expect(out.reason).toContain(`score ${Math.round(score * 1000) / 1000}`);
    expect(out.windowEndMs - out.windowStartMs).toBe(((over.deploySeconds ?? 600) + 900) * 1000);
  });

  it('reports the deficit per metric and the units held by other deployments', () => {
    const out = forecastStage(
      input({ requests: flat(80_000), inFlight: [holding(2, 5, 15), holding(3, 10, 20)] }),
    );
    expect(out.inFlightUnits).toBe(5);
    expect(out.deficits).toEqual([
      {
        metric: 'requests',
        capacity: CAP,
        peakDemand: 80_000 + 5 * 4_200,
        deficit: (80_000 + 21_000 - CAP) / CAP,
      },
      { metric: 'cpu', capacity: 1_400, peakDemand: 700 + 5 * 70, deficit: 0 },
    ]);
    expect(out.reason).toMatch(/requests short by 20\.2%, 5 units held by other deployments: branch/);
  });

  it.each<[string, (w: WorkloadInput) => void, string]>([
    [
      'shadow pools disabled',
      (w) => {
        w.capacity.shadowMaxUnits = 0;
      },
      'shadow-disabled',
    ],
    [
      'stateful workload',
      (w) => {
        w.stateless = false;
      },
      'stateful',
    ],
  ])('contended but cannot branch: %s', (_name, patch, reasonCode) => {
    const out = forecastStage(input({ workload: workload(patch), requests: spikeAt(2, CAP * 1.2, 60_000) }));
    expect(out).toMatchObject({ contended: true, branch: false, reasonCode });
    expect(out.reason).toMatch(/deploy to the primary$/);
  });

  it.each<[string, Partial<StageForecastInput>, RegExp]>([
    [
      'forecast ends before the window',
      { forecasts: [forecast('requests', flat(1, 4)), forecast('cpu', flat(1))] },
      /ends at .* before the deployment window ends/,
    ],
    [
      'critical metric without forecast',
      { forecasts: [forecast('requests', flat(1))] },
      /no demand forecast for critical metric cpu/,
    ],
    ['forecast entirely in the past', { nowMs: T0 + 2 * 3_600_000 }, /ends at/],
  ])('refuses to score: %s', (_name, over, message) => {
    const run = () => forecastStage(input(over));
    expect(run).toThrow(ForecastInputError);
    expect(run).toThrow(message);
  });
});
