/**
 * A level model on the deseasonalised series: damped-trend exponential smoothing (ETS(A,Ad,·) in
 * error-correction form) whose level may also revert towards a slowly moving mean. With rho = 1
 * and no trend it is simple exponential smoothing; with alpha = 1 it is the naive forecast.
 */
export interface LevelParams {
  alpha: number;
  beta: number;
  /** Trend damping per step (0 = no trend). */
  phi: number;
  /** Level reversion per step towards mu (1 = none). */
  rho: number;
  /** Learning rate of the long-run mean mu. */
  eta: number;
}

export interface LevelState {
  l: number;
  b: number;
  mu: number;
  /** False until the first observation. */
  init: boolean;
}

export function newLevelState(): LevelState {
  return { l: 0, b: 0, mu: 0, init: false };
}

/** One-step prediction of the deseasonalised value. */
export function levelPredict(p: LevelParams, s: LevelState): number {
  return s.mu + p.rho * (s.l - s.mu) + p.phi * s.b;
}

/** Absorb one observation z (NaN = gap: the state just moves one step ahead). Mutates s. */
export function levelStep(p: LevelParams, s: LevelState, z: number): void {
  if (Number.isNaN(z)) {
    if (!s.init) return;
    s.l = levelPredict(p, s);
    s.b *= p.phi;
    return;
  }
  if (!s.init) {
    s.l = z;
    s.mu = z;
    s.b = 0;
    s.init = true;
    return;
  }
  const pred = levelPredict(p, s);
  const e = z - pred;
  s.l = pred + p.alpha * e;
  s.b = p.phi * s.b + p.beta * e;
  s.mu += p.eta * (z - s.mu);
}

/** Deseasonalised forecasts for steps 1..h into out[0..h). */
export function levelForecast(p: LevelParams, s: LevelState, h: number, out: Float64Array | number[]): void {
  let l = s.l;
  let b = s.b;
  const mu = s.mu;
  for (let i = 0; i < h; i++) {
    l = mu + p.rho * (l - mu) + p.phi * b;
    b *= p.phi;
    out[i] = l;
  }
}
