import { ManualClock } from '../../../shared/clock';
import { engine, type ModelState } from '../../../shared/model';
import type { ModelStateRecord } from '../../../shared/ports/repositories';
import { makeMemoryRepositories } from '../../../shared/sim/memory-repositories';
import { continuation, MIN5, type SynthOptions, synth } from '../model/synthetic';

/**
 * The model state stored as two items (the fit-only part apart) must forecast exactly as the
 * state stored whole did: the engine's state through JSON, as the single item kept it.
 */
const o: SynthOptions = { days: 9, base: 100, daily: 20, weekday: 10, noise: 2, seed: 11 };
const options = { horizonSteps: 36, quantiles: [0.5, 0.8, 0.95, 0.99] };
const viaJson = (state: ModelState): ModelState => JSON.parse(JSON.stringify(state)) as ModelState;

describe('forecasts from the model state as stored', () => {
  it('are bit for bit those of the state stored whole, over updates and a refit', async () => {
    // Prepare
    const clock = new ManualClock(o.days * 86_400_000);
    const repos = makeMemoryRepositories({ clock });
    const series = synth(o);
    const next = continuation(o, 30);
    let whole = viaJson(engine.fit(series, { horizonSteps: options.horizonSteps }));
    const record = (state: ModelState, stored?: ModelStateRecord): ModelStateRecord => ({
      workloadId: 'checkout',
      metric: 'requests',
      lastPointMs: state.lastPointMs,
      fittedAt: state.fittedAtMs,
      state,
      ...(stored?.baseRef ? { baseRef: stored.baseRef } : {}),
    });
    await repos.predictions.putModelState(record(whole));
    // The slot of the part after each write: it flips when the part is written again.
    const slots: number[] = [];

    for (let i = 0; i < next.values.length; i++) {
      // Act: read the state back, update it with the next point (a refit at step 20), store it.
      const stored = await repos.predictions.getModelState('checkout', 'requests');
      const point = {
        startMs: next.startMs + i * MIN5,
        intervalMs: MIN5,
        values: [next.values[i] as number],
      };
      const fromStore = stored?.state as ModelState;
      // Assess: the state read back forecasts exactly as the state kept whole.
      expect(engine.forecast(fromStore, options)).toEqual(engine.forecast(whole, options));
      expect(JSON.parse(JSON.stringify(fromStore))).toEqual(JSON.parse(JSON.stringify(whole)));
      const refit = i === 20;
      const history = { ...series, values: [...series.values, ...next.values.slice(0, i + 1)] };
      const updated = refit
        ? engine.fit(history, { horizonSteps: options.horizonSteps })
        : engine.update(fromStore, point);
      whole = viaJson(refit ? updated : engine.update(whole, point));
      await repos.predictions.putModelState(record(updated, stored));
      const after = await repos.predictions.getModelState('checkout', 'requests');
      slots.push(after?.baseRef?.slot ?? -1);
    }
    // The part was written again at the refit only.
    expect(slots.slice(0, 20).every((slot) => slot === 0)).toBe(true);
    expect(slots.slice(20).every((slot) => slot === 1)).toBe(true);
  });
});
