import { Backoff } from '../../../shared/aws/backoff';

describe('Backoff (full jitter)', () => {
  it.each([
    [1, 1, 100],
    [2, 1, 200],
    [3, 0.5, 200],
    [10, 1, 1_000],
    [1, 0, 0],
  ])('retry %i with random %s waits %i ms', (retry, random, expected) => {
    const b = new Backoff({ random: () => random }, { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 });
    expect(b.delayMs(retry)).toBe(expected);
  });

  it('takes options over defaults and keeps at least one attempt', async () => {
    const waits: number[] = [];
    const b = new Backoff(
      { maxAttempts: 0, baseDelayMs: 10, random: () => 1, sleep: async (ms) => void waits.push(ms) },
      { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 },
    );
    expect(b.maxAttempts).toBe(1);
    await b.wait(2);
    expect(waits).toEqual([20]);
  });
});
