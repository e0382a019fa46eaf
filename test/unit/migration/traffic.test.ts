import { NoHealthyTargetsError, ValidationError, WeightMismatchError } from '../../../shared/errors';
import { setAndVerify } from '../../../shared/migration/traffic';
import type { TrafficRouter } from '../../../shared/ports/traffic';
import type { TrafficWeights } from '../../../shared/schemas/operation';
import { Workload } from '../../../shared/schemas/workload';
import { workloadInput } from '../../helpers/fixtures';

const workload = Workload.parse(workloadInput());

/** A router that records writes and can be told to read back something else. */
class FakeRouter implements TrafficRouter {
  weights: TrafficWeights = { primary: 100, shadow: 0 };
  writes: TrafficWeights[] = [];
  readBack: TrafficWeights | undefined;
  healthy = { primary: 3, shadow: 2 };
  async getWeights(): Promise<TrafficWeights> {
    return this.readBack ?? this.weights;
  }
  async setWeights(_w: Workload, weights: TrafficWeights): Promise<void> {
    this.writes.push(weights);
    this.weights = weights;
  }
  async healthyTargets(_w: Workload, role: 'primary' | 'shadow'): Promise<number> {
    return this.healthy[role];
  }
}

describe('setAndVerify', () => {
  it('writes, reads back and returns the verified weights', async () => {
    const router = new FakeRouter();
    await expect(setAndVerify(router, workload, { primary: 75, shadow: 25 })).resolves.toEqual({
      primary: 75,
      shadow: 25,
    });
    expect(router.writes).toEqual([{ primary: 75, shadow: 25 }]);
  });

  it('throws WeightMismatchError when the read-back differs', async () => {
    const router = new FakeRouter();
    router.readBack = { primary: 100, shadow: 0 };
    await expect(setAndVerify(router, workload, { primary: 50, shadow: 50 })).rejects.toThrow(
      WeightMismatchError,
    );
    await expect(setAndVerify(router, workload, { primary: 50, shadow: 50 })).rejects.toThrow(
      /wrote primary\/shadow 50\/50 but read back 100\/0/,
    );
  });

  it('refuses weight on a target group with no healthy target, before writing', async () => {
    const router = new FakeRouter();
    router.healthy.shadow = 0;
    await expect(setAndVerify(router, workload, { primary: 90, shadow: 10 })).rejects.toThrow(
      NoHealthyTargetsError,
    );
    expect(router.writes).toEqual([]);
  });

  it('may move everything off an empty target group', async () => {
    const router = new FakeRouter();
    router.healthy.shadow = 0;
    await expect(setAndVerify(router, workload, { primary: 100, shadow: 0 })).resolves.toEqual({
      primary: 100,
      shadow: 0,
    });
  });

  it.each<[string, TrafficWeights]>([
    ['not summing to 100', { primary: 50, shadow: 40 }],
    ['fractional', { primary: 50.5, shadow: 49.5 }],
  ])('rejects weights %s', async (_name, weights) => {
    await expect(setAndVerify(new FakeRouter(), workload, weights)).rejects.toThrow(ValidationError);
  });
});
