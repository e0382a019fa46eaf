/**
 * Combining p-values. Conformal p-values are valid per row; these turn a short run of them, or
 * one per metric, into one p-value that is still valid under the null.
 */

/**
 * Fisher's method: -2 Σ ln p over k independent p-values is chi-squared with 2k degrees of
 * freedom. The survival function of chi-squared with an even number of degrees of freedom has a
 * closed form, e^{-x/2} Σ_{j<k} (x/2)^j / j!, so no special functions are needed.
 */
export function fisherCombine(pValues: readonly number[]): number {
  const k = pValues.length;
  if (k === 0) return 1;
  let half = 0;
  for (const p of pValues) half -= Math.log(Math.max(p, Number.MIN_VALUE));
  let term = 1;
  let sum = 1;
  for (let j = 1; j < k; j++) {
    term *= half / j;
    sum += term;
  }
  return Math.min(1, Math.exp(-half) * sum);
}

/**
 * Across metrics: Bonferroni on the smallest p-value. Metrics of one workload move together (CPU
 * and requests), so independence, which Fisher assumes, would overstate the evidence.
 */
export function acrossMetrics(pValues: readonly number[]): number {
  if (pValues.length === 0) return 1;
  let min = 1;
  for (const p of pValues) if (p < min) min = p;
  return Math.min(1, min * pValues.length);
}

/** An anomaly score in [0, 1] from a p-value: 1 − p, so a small p (surprising) scores high. */
export function scoreOf(pValue: number): number {
  return Math.min(1, Math.max(0, 1 - pValue));
}
