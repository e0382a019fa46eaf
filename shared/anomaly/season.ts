/**
 * The period of a series, found from its own values: the lag (in rows) of the highest
 * autocorrelation after the autocorrelation has first fallen below zero, so the short-range
 * memory of any smooth series is not mistaken for a cycle, and only when that peak is strong
 * (`minCorrelation`); each cycle must be seen at least twice. 0 = no period.
 */
export function detectPeriod(values: readonly number[], minCorrelation: number): number {
  const n = values.length;
  const maxLag = Math.floor(n / 2);
  if (maxLag < 4) return 0;
  let mean = 0;
  for (const v of values) mean += v;
  mean /= n;
  const x = values.map((v) => v - mean);
  let variance = 0;
  for (const d of x) variance += d * d;
  if (variance <= 0) return 0;
  let crossed = false;
  let best = 0;
  let bestR = minCorrelation;
  for (let lag = 2; lag <= maxLag; lag++) {
    let s = 0;
    for (let i = lag; i < n; i++) s += (x[i] as number) * (x[i - lag] as number);
    // Normalised by the overlap, so long lags are not penalised for having fewer pairs.
    const r = ((s / (n - lag)) * n) / variance;
    if (!crossed) {
      crossed = r < 0;
      continue;
    }
    if (r > bestR) {
      bestR = r;
      best = lag;
    }
  }
  return best;
}
