/**
 * Compact codes for the detector's stored windows. A stored state is written by every forecaster
 * run of a series, and DynamoDB bills a write per started KB: 1,000 past misses as numbers are
 * ~11 KB, as 24-bit codes 4 KB of base64. The detector snaps every value to the code grid
 * when it joins a window, so the window it keeps in memory is exactly what the codes hold and a
 * run resumed from the stored state continues exactly as one longer run would have.
 */

/**
 * Misses: 65,536 codes per octave from 2^-128 to 2^128 (relative step 0.001 %, so a rank among
 * past misses moves only between values that agree to five digits).
 */
const MISS_STEPS_PER_OCTAVE = 65_536;
const MISS_ZERO_CODE = 2 ** 23;
const MAX_CODE = 2 ** 24 - 1;

/** P-values: 65,536 codes per octave below 1, down to 2^-256; 0 is the smallest code's value. */
const P_STEPS_PER_OCTAVE = 65_536;

/** The code of a miss (nonnegative); 0 stands for 0 and anything below 2^-128. */
export function missCode(x: number): number {
  if (!(x > 0)) return 0;
  const code = Math.round(MISS_STEPS_PER_OCTAVE * Math.log2(x)) + MISS_ZERO_CODE;
  return Math.min(MAX_CODE, Math.max(1, code));
}

export function missValue(code: number): number {
  return code === 0 ? 0 : 2 ** ((code - MISS_ZERO_CODE) / MISS_STEPS_PER_OCTAVE);
}

/** A miss as the window keeps it: the value of its code. */
export const snapMiss = (x: number): number => missValue(missCode(x));

/** The code of a p-value in [0, 1]: 0 is 1, larger codes are smaller p-values. */
export function pCode(p: number): number {
  if (!(p < 1)) return 0;
  if (!(p > 0)) return MAX_CODE;
  return Math.min(MAX_CODE, Math.max(0, Math.round(-P_STEPS_PER_OCTAVE * Math.log2(p))));
}

export function pValueOf(code: number): number {
  return 2 ** (-code / P_STEPS_PER_OCTAVE);
}

/** A p-value as the episode window keeps it. */
export const snapP = (p: number): number => pValueOf(pCode(p));

/** 24-bit codes, little-endian, as base64 (DynamoDB and JSON store it as one short string). */
export function packCodes(codes: readonly number[]): string {
  const bytes = Buffer.alloc(3 * codes.length);
  codes.forEach((c, i) => {
    bytes.writeUIntLE(c, 3 * i, 3);
  });
  return bytes.toString('base64');
}

export function unpackCodes(packed: string): number[] {
  const bytes = Buffer.from(packed, 'base64');
  const out: number[] = [];
  for (let i = 0; i + 2 < bytes.length; i += 3) out.push(bytes.readUIntLE(i, 3));
  return out;
}
