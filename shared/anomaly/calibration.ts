import { z } from 'zod';

/**
 * Past nonconformity values (how far an observation was from what was expected), kept as a
 * histogram on a log scale with exponential forgetting: a conformal p-value of a new value is the
 * weight of past values at or above it, so it needs no noise model and recalibrates as the series
 * changes. Eight bins per octave (9% wide, interpolated inside a bin) keep ranks close to those of
 * the raw values, and the state stays a few hundred numbers whatever the scale of the series.
 */

/** Bins per doubling of the value. */
const BINS_PER_OCTAVE = 8;
/** Most bins kept: 48 octaves; anything smaller than the lowest counts in the lowest. */
const MAX_BINS = 384;
/** Rows between two decays of every weight (the decay is in steps so stored weights stay short). */
export const DECAY_EVERY = 100;
/** A weight below this after a decay is dropped (a rounded weight below it could never decay). */
const DROP_BELOW = 0.06;

export const CalibrationState = z.strictObject({
  /** Weight of values exactly 0 (a flat series forecast exactly). */
  zero: z.number().nonnegative(),
  /** Bin index of `weights[0]`: bin k holds values in [2^(k/8), 2^((k+1)/8)). */
  lo: z.number().int(),
  weights: z.array(z.number().nonnegative()).max(MAX_BINS),
  /** Values added since the last decay step. */
  sinceDecay: z.number().int().nonnegative(),
});
export type CalibrationState = z.infer<typeof CalibrationState>;

export function emptyCalibration(): CalibrationState {
  return { zero: 0, lo: 0, weights: [], sinceDecay: 0 };
}

/**
 * Weights are multiples of 0.01, so the total rounded to 0.01 is the same however it was summed:
 * a detector resumed from its stored state computes exactly what one long run would have.
 */
const round2 = (x: number): number => Math.round(x * 100) / 100;
const binOf = (x: number): number => Math.floor(Math.log2(x) * BINS_PER_OCTAVE);
const edge = (k: number): number => 2 ** (k / BINS_PER_OCTAVE);

export class Calibration {
  private zero: number;
  private lo: number;
  private readonly weights: number[];
  private sinceDecay: number;
  /** Total weight (recomputed at each decay, incremented between). */
  private total: number;
  /** Per decay step: e^{-DECAY_EVERY / memory}, so a value's weight halves in ~0.7 memory rows. */
  private readonly stepFactor: number;

  constructor(
    state: CalibrationState,
    memory: number,
    private readonly tailShare: number,
  ) {
    this.zero = state.zero;
    this.lo = state.lo;
    this.weights = [...state.weights];
    this.sinceDecay = state.sinceDecay;
    this.total = round2(this.zero + this.weights.reduce((a, b) => a + b, 0));
    this.stepFactor = Math.exp(-DECAY_EVERY / memory);
  }

  /** Weight of the values seen (a value's weight decays from 1). */
  get weight(): number {
    return this.total;
  }

  /** Weight of past values at or above x, bins interpolated on the log scale. */
  private above(x: number): number {
    if (x <= 0) return this.total;
    const n = this.weights.length;
    if (n === 0) return 0;
    const k = binOf(x) - this.lo;
    if (k >= n) return 0;
    let sum = 0;
    for (let i = Math.max(k + 1, 0); i < n; i++) sum += this.weights[i] as number;
    if (k < 0) return sum;
    const frac = Math.log2(x) * BINS_PER_OCTAVE - (k + this.lo);
    return sum + (this.weights[k] as number) * (1 - frac);
  }

  /** The value with weight share `alpha` at or above it (0 with no values). */
  quantile(alpha: number): number {
    let target = alpha * this.total;
    for (let i = this.weights.length - 1; i >= 0; i--) {
      const w = this.weights[i] as number;
      if (w >= target && w > 0) return edge(this.lo + i + 1 - target / w);
      target -= w;
    }
    return 0;
  }

  /**
   * p = (1 + weight at or above x) / (1 + total weight), ties counted against surprise; beyond
   * the largest `tailShare` of past values an exponential tail fitted to them keeps p shrinking
   * as x grows, so a big outage is told from a blip even when both exceed everything seen.
   */
  pValue(x: number): number {
    const rank = Math.min(1, (1 + this.above(x)) / (1 + this.total));
    const q = this.quantile(this.tailShare);
    if (x <= q || q <= 0) return rank;
    let w = 0;
    let excess = 0;
    const from = binOf(q) - this.lo;
    for (let i = Math.max(from, 0); i < this.weights.length; i++) {
      const wi = this.weights[i] as number;
      w += wi;
      excess += wi * Math.max(0, edge(this.lo + i + 0.5) - q);
    }
    const scale = Math.max(w > 0 ? excess / w : 0, 1e-9 * q);
    const atQ = (1 + this.tailShare * this.total) / (1 + this.total);
    return Math.min(rank, atQ * Math.exp(-(x - q) / scale));
  }

  add(x: number): void {
    if (x <= 0 || !Number.isFinite(x)) this.zero += 1;
    else this.addToBin(binOf(x));
    this.total = round2(this.total + 1);
    this.sinceDecay += 1;
    if (this.sinceDecay >= DECAY_EVERY) this.decay();
  }

  private addToBin(bin: number): void {
    if (this.weights.length === 0) this.lo = bin;
    if (bin < this.lo) {
      const hi = this.lo + this.weights.length - 1;
      const newLo = Math.max(bin, hi - MAX_BINS + 1);
      this.weights.unshift(...new Array<number>(this.lo - newLo).fill(0));
      this.lo = newLo;
    }
    let k = Math.max(bin, this.lo) - this.lo;
    if (k >= MAX_BINS) {
      // Drop the lowest bins into the new lowest so the span stays bounded.
      const shift = k - MAX_BINS + 1;
      const dropped = this.weights.splice(0, shift).reduce((a, b) => a + b, 0);
      this.lo += shift;
      k -= shift;
      if (this.weights.length > 0) this.weights[0] = (this.weights[0] as number) + dropped;
      else this.weights.push(dropped);
    }
    while (this.weights.length <= k) this.weights.push(0);
    this.weights[k] = (this.weights[k] as number) + 1;
  }

  /** Every weight times the step factor, rounded to 0.01 (short JSON); tiny weights dropped. */
  private decay(): void {
    const f = this.stepFactor;
    const round = (w: number): number => {
      const r = Math.round(w * f * 100) / 100;
      return r < DROP_BELOW ? 0 : r;
    };
    this.zero = round(this.zero);
    let total = this.zero;
    for (let i = 0; i < this.weights.length; i++) {
      const w = round(this.weights[i] as number);
      this.weights[i] = w;
      total += w;
    }
    let start = 0;
    while (start < this.weights.length && this.weights[start] === 0) start += 1;
    let end = this.weights.length;
    while (end > start && this.weights[end - 1] === 0) end -= 1;
    this.weights.splice(end);
    this.weights.splice(0, start);
    this.lo += start;
    this.total = round2(total);
    this.sinceDecay = 0;
  }

  state(): CalibrationState {
    return { zero: this.zero, lo: this.lo, weights: [...this.weights], sinceDecay: this.sinceDecay };
  }
}
