/**
 * The planning core: the one owner of every capacity decision. Pure: no I/O, no clock reads.
 *
 * - `path.ts` — the planning path: which quantile, capped headroom, one selection rule.
 * - `units.ts` — demand → units, whole units, lag in steps.
 * - `score.ts` — the contention score over critical metrics.
 * - `hysteresis.ts` — the branch decision with hysteresis, and escalation.
 * - `sizing.ts` — shadow pool size, the shadow traffic share, peaks in units.
 * - `prewarm.ts` — both pools planned together ahead of the provisioning lag.
 * - `home.ts` — when traffic goes home.
 * - `capacity.ts` — capacity over a known path, weights by ready units.
 * - `learner.ts` — per metric, the planning settings that would have cost least (the user's policy).
 * - `cadence.ts` — how often a workload's forecast is refreshed (read and write only what is needed).
 */
export * from './cadence';
export * from './capacity';
export * from './home';
export * from './hysteresis';
export * from './learner';
export * from './path';
export * from './prewarm';
export * from './score';
export * from './sizing';
export * from './units';
