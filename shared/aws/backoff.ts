/**
 * Retries with exponential backoff and full jitter (the AWS Architecture Blog's "Exponential
 * Backoff And Jitter"), for the adapters' own retry loops on top of the SDK's: the n-th retry waits
 * a random time in [0, min(maxDelayMs, baseDelayMs · 2^(n−1))].
 */
export interface BackoffOptions {
  /** Attempts, including the first (at least 1). */
  maxAttempts?: number;
  /** Ceiling of the first retry's wait, ms; doubles each retry. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export class Backoff {
  readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(
    options: BackoffOptions,
    defaults: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number },
  ) {
    this.maxAttempts = Math.max(1, options.maxAttempts ?? defaults.maxAttempts);
    this.baseDelayMs = options.baseDelayMs ?? defaults.baseDelayMs;
    this.maxDelayMs = options.maxDelayMs ?? defaults.maxDelayMs;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  /** The wait before retry number `retry` (1 for the first retry). */
  delayMs(retry: number): number {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (retry - 1));
    return Math.round(this.random() * ceiling);
  }

  wait(retry: number): Promise<void> {
    return this.sleep(this.delayMs(retry));
  }
}
