import { type AnomalyChange, advanceSeriesAnomaly, workloadAnomaly } from '../anomaly';
import type { Clock } from '../clock';
import { ForecastInputError, NoDataError, NotFoundError, TransientError } from '../errors';
import { engine as defaultEngine } from '../model';
import type { ForecastEngine, ForecastResult, ModelState } from '../model/api';
import {
  assessContention,
  type CadenceSettings,
  type ContentionAssessment,
  type Decision,
  decide,
  forecastQuantiles,
  type LearnerChange,
  learnStep,
  type MetricDemand,
  nextForecastRun,
  planningPath,
  shadowUnitsFor,
  shouldEscalate,
  unitsAhead,
} from '../planning';
import type { EventPublisher, PublishResult } from '../ports/events';
import type { MetricQuery, MetricQueryResult, MetricsSource } from '../ports/metrics';
import type {
  ContentionDecisionRecord,
  ModelStateRecord,
  PredictionRepository,
  SignalRepository,
  WorkloadRepository,
} from '../ports/repositories';
import {
  COLD_START_HISTORY_MS,
  type ColdStartChoice,
  coldStartChoice,
  type FingerprintCandidate,
} from '../profile/cold-start';
import { updateCorrelations } from '../profile/correlation';
import {
  accuracyDrift,
  DEFAULT_FEEDBACK,
  FeedbackSettings,
  type MetricAccuracy,
  resetAccuracy,
  scoreForecasts,
  scoringWindow,
} from '../profile/feedback';
import { type MetricFingerprint, updateFingerprint } from '../profile/fingerprint';
import type { MetricProfile } from '../profile/profile';
import type { ShadowscaleEvent } from '../schemas/events';
import type { MetricPoint, PlanningSettings, Prediction } from '../schemas/series';
import type { Signal } from '../schemas/signal';
import type { Workload, WorkloadMetric, WorkloadProfile, WorkloadRecord } from '../schemas/workload';
import {
  bucketByPeriod,
  DAY_MS,
  DEFAULT_PLAN_OPTIONS,
  fullRead,
  horizonSteps,
  incrementalRead,
  type PlanOptions,
  planRead,
  type ReadMode,
  type SeriesRead,
  signalTagsOf,
  splitSignals,
} from './plan';

/** The ports a forecaster run needs; a `functions/runtime` Runtime satisfies it as is. */
export interface ForecasterPorts {
  clock: Clock;
  metrics: MetricsSource;
  events: EventPublisher;
  repositories: {
    workloads: Pick<WorkloadRepository, 'get' | 'list' | 'putProfile'>;
    predictions: Pick<
      PredictionRepository,
      'putPrediction' | 'getModelState' | 'putModelState' | 'getDecision' | 'putDecision' | 'history'
    >;
    signals: Pick<SignalRepository, 'forWorkload'>;
  };
}

/** Which workloads to forecast: explicit ids, one page of the registry, or (neither) all of it. */
export interface ForecastRequest {
  workloadIds?: readonly string[];
  page?: { cursor?: string; limit: number };
  /** Refit every model from full history instead of updating incrementally. */
  fullRefit?: boolean;
}

export interface ForecasterOptions extends PlanOptions {
  engine: ForecastEngine;
  /** Workloads processed together (one metrics read, one publish); default 100. */
  chunkSize: number;
  /** Concurrent repository calls; default 16. */
  concurrency: number;
  /**
   * Scheduled refits (daily, or on drift) done in one run; the rest wait for later runs and update
   * incrementally meanwhile. Series first fitted together come due together, and a full refit
   * reads weeks of history and costs ~100x an update: spreading them keeps every run well inside
   * its Lambda timeout. Refits of series without a usable state are never deferred. Default 300.
   */
  maxScheduledRefits: number;
  /** Called after each chunk with the number of workloads done so far (progress for the CLI). */
  onProgress?: (done: number) => void;
  /**
   * Adaptive cadence (shared/planning/cadence.ts): a workload whose stored decision says its next
   * run is later is skipped (nothing read beyond that decision and its signals, nothing written,
   * nothing published). Absent: every workload every run.
   */
  cadence?: CadenceSettings;
}

export interface ErrorInfo {
  name: string;
  message: string;
}

export interface MetricOutcome {
  metric: string;
  mode: ReadMode;
  /** Why the model was fully refitted (full reads only). */
  reason?: SeriesRead['reason'];
  /** A scheduled refit was due but waits for a later run (maxScheduledRefits). */
  refitDeferred?: boolean;
  newPoints: number;
  /** The metrics source answered PartialData it could not finish. */
  partial?: boolean;
  model?: string;
  confidence?: 'high' | 'low';
  horizonSteps?: number;
  peakP50?: number;
  /** Forecast p50 of the next period (one step ahead), for the forecast-vs-actual dashboard. */
  nextP50?: number;
  /** The newest observed value read in this run, if any. */
  observed?: number;
  peakAtQuantile?: number;
  /** Anomaly score of the newest observation, in [0, 1] (see shared/anomaly). */
  anomalyScore?: number;
  /** The planning settings this run planned with, when the policy learns them. */
  planning?: PlanningSettings;
  /** The learner changed the planning settings in this run, and why. */
  planningChange?: LearnerChange;
  /** Stored forecasts joined with this run's actuals (the feedback loop). */
  scored?: number;
  /** The running accuracy per horizon after this run (shared/profile/feedback.ts). */
  accuracy?: MetricAccuracy['h'];
  /** Why the feedback loop asked for this run's refit (reason `accuracy-drift`). */
  feedbackDrift?: string;
  /** The fit started from a similar series' model (too little history of its own). */
  coldStart?: ColdStartChoice;
  error?: ErrorInfo;
}

export type WorkloadStatus = 'ok' | 'degraded' | 'failed';

export interface WorkloadOutcome {
  workloadId: string;
  /** ok: every metric forecast; degraded: a non-critical metric failed; failed: nothing decided. */
  status: WorkloadStatus;
  score?: number;
  contended?: boolean;
  /** `escalated`: still contended, and the forecast now needs a bigger shadow pool than announced. */
  transition?: 'predicted' | 'cleared' | 'escalated';
  shortageAt?: number;
  recommendedShadowUnits?: number;
  metrics: MetricOutcome[];
  /** Detail types published for this workload. */
  published: string[];
  error?: ErrorInfo;
  /** Not due under the adaptive cadence: nothing was read, written or published. */
  skipped?: boolean;
  /** Adaptive cadence: when this workload runs next, and why. */
  nextRunAt?: number;
  cadence?: string;
}

export interface PublishFailure {
  workloadId: string;
  detailType: string;
  error: string;
}

export interface ForecastRunResult {
  startedAt: number;
  workloads: number;
  ok: number;
  degraded: number;
  failed: number;
  /** Workloads not due under the adaptive cadence (counted in `ok`). */
  skipped: number;
  series: number;
  eventsPublished: number;
  publishFailures: PublishFailure[];
  /** Cursor of the registry page after the one processed (page requests only). */
  nextCursor?: string;
  outcomes: WorkloadOutcome[];
}

interface SeriesWork {
  metric: WorkloadMetric;
  /** The state read at the start of the run; dropped once the series has its new state. */
  stored?: ModelStateRecord | undefined;
  read: SeriesRead;
  queryId: string;
  answer?: MetricQueryResult;
  /** A point read exceeded what the previous forecast planned for (adaptive cadence). */
  breached?: boolean;
  /** Stored forecasts whose targets this run's points may observe (the feedback loop). */
  history?: Prediction[];
  /** Why the feedback loop asked for a refit, when it did. */
  drift?: string;
  /** Too little history: the fit starts from this neighbour's model. */
  coldStart?: ColdStartChoice;
  /** This run's new points (bucketed), for cross-metric correlation. */
  points?: MetricPoint[];
}

interface WorkloadWork {
  workloadId: string;
  record?: WorkloadRecord;
  previous?: ContentionDecisionRecord;
  signals: Signal[];
  series: SeriesWork[];
  outcome: WorkloadOutcome;
  predictions: Prediction[];
  states: ModelStateRecord[];
  events: ShadowscaleEvent[];
  decision?: ContentionDecisionRecord;
  /** The profile learned in this run (written with the predictions), when anything changed. */
  profile?: WorkloadProfile;
}

/** What one run shares across its chunks: the cold-start candidates, read at most once. */
interface RunShared {
  refits: number;
  candidates?: Promise<FingerprintCandidate[]>;
}

const LIST_PAGE = 100;
/** Workloads read for cold-start candidates (once per run, only when a series needs one). */
export const COLD_START_CANDIDATE_WORKLOADS = 1_000;

/**
 * One forecaster run over a set of workloads: for each workload and metric read the new points,
 * update (or refit) the model, forecast the horizon, store prediction and state; score contention,
 * decide with hysteresis, publish `Forecast Computed` and, on a change, `Contention Predicted` /
 * `Contention Cleared`, then store the decision. A workload that fails (no data, bad config, a
 * write that fails) is reported in its outcome and the others go on.
 *
 * The decision is stored only after its transition event was published, so an event that
 * EventBridge refused is published again by the next run instead of being lost.
 */
export async function runForecaster(
  request: ForecastRequest,
  ports: ForecasterPorts,
  options: Partial<ForecasterOptions> = {},
): Promise<ForecastRunResult> {
  const opts: ForecasterOptions = {
    ...DEFAULT_PLAN_OPTIONS,
    engine: defaultEngine,
    chunkSize: 100,
    concurrency: 16,
    maxScheduledRefits: 300,
    ...options,
  };
  const budget: RunShared = { refits: opts.maxScheduledRefits };
  const nowMs = ports.clock.now();
  const result: ForecastRunResult = {
    startedAt: nowMs,
    workloads: 0,
    ok: 0,
    degraded: 0,
    failed: 0,
    skipped: 0,
    series: 0,
    eventsPublished: 0,
    publishFailures: [],
    outcomes: [],
  };

  const process = async (chunk: Target[]) => {
    const works = await runChunk(chunk, request.fullRefit === true, nowMs, ports, opts, result, budget);
    for (const w of works) {
      result.outcomes.push(w.outcome);
      result[w.outcome.status]++;
      if (w.outcome.skipped) result.skipped++;
      result.workloads++;
    }
    opts.onProgress?.(result.workloads);
  };

  if (request.workloadIds) {
    const ids = [...new Set(request.workloadIds)];
    for (let i = 0; i < ids.length; i += opts.chunkSize) {
      await process(ids.slice(i, i + opts.chunkSize).map((id) => ({ workloadId: id })));
    }
  } else if (request.page) {
    const page = await ports.repositories.workloads.list({
      limit: request.page.limit,
      ...(request.page.cursor ? { cursor: request.page.cursor } : {}),
    });
    for (let i = 0; i < page.items.length; i += opts.chunkSize) {
      await process(page.items.slice(i, i + opts.chunkSize).map(toTarget));
    }
    if (page.next) result.nextCursor = page.next;
  } else {
    let cursor: string | undefined;
    let pending: Target[] = [];
    do {
      const page = await ports.repositories.workloads.list({
        limit: LIST_PAGE,
        ...(cursor ? { cursor } : {}),
      });
      pending.push(...page.items.map(toTarget));
      while (pending.length >= opts.chunkSize) {
        await process(pending.slice(0, opts.chunkSize));
        pending = pending.slice(opts.chunkSize);
      }
      cursor = page.next;
    } while (cursor);
    if (pending.length > 0) await process(pending);
  }
  return result;
}

interface Target {
  workloadId: string;
  record?: WorkloadRecord;
}

const toTarget = (record: WorkloadRecord): Target => ({ workloadId: record.workload.workloadId, record });

/** One chunk of workloads through the run's steps; returns each workload's work (outcome included). */
async function runChunk(
  chunk: Target[],
  fullRefit: boolean,
  nowMs: number,
  ports: ForecasterPorts,
  opts: ForecasterOptions,
  result: ForecastRunResult,
  budget: RunShared,
): Promise<WorkloadWork[]> {
  const works: WorkloadWork[] = chunk.map((t) => ({
    workloadId: t.workloadId,
    ...(t.record ? { record: t.record } : {}),
    signals: [],
    series: [],
    outcome: { workloadId: t.workloadId, status: 'ok', metrics: [], published: [] },
    predictions: [],
    states: [],
    events: [],
  }));
  await loadWork(works, fullRefit, nowMs, ports, opts);
  spreadRefits(works, budget);
  await readSeries(works, ports.metrics);
  await prepareColdStarts(works, ports, budget);
  await forecastChunk(works, nowMs, ports, opts);
  await storeChunk(works, ports, opts, result);
  await publishChunk(works, ports, opts, result);
  return works;
}

/** Load what each workload needs: its definition, model states, decision, signals; plan its reads. */
async function loadWork(
  works: WorkloadWork[],
  fullRefit: boolean,
  nowMs: number,
  ports: ForecasterPorts,
  opts: ForecasterOptions,
): Promise<void> {
  const { predictions, signals, workloads } = ports.repositories;
  await mapLimit(works, opts.concurrency, async (w) => {
    await isolate(w, async () => {
      if (!w.record) {
        const record = await workloads.get(w.workloadId);
        if (!record) throw new NotFoundError(`workload ${w.workloadId} is not registered`);
        w.record = record;
      }
      const workload = w.record.workload;
      const horizonMs = workload.contention.horizonSeconds * 1000;
      const loadStates = () =>
        Promise.all(workload.metrics.map((m) => predictions.getModelState(w.workloadId, m.name)));
      const cadence = fullRefit ? undefined : opts.cadence;
      const [previous, found, early] = await Promise.all([
        predictions.getDecision(w.workloadId),
        signals.forWorkload(
          w.workloadId,
          signalTagsOf(workload),
          nowMs - opts.historyMs,
          nowMs + horizonMs + DAY_MS,
        ),
        // Under the adaptive cadence the (large) model states are read only once the run is due.
        cadence ? Promise.resolve(undefined) : loadStates(),
      ]);
      if (previous) w.previous = previous;
      w.signals = found;
      if (cadence && !isDue(previous, found, nowMs, cadence)) {
        w.outcome.skipped = true;
        if (previous?.nextRunAt !== undefined) w.outcome.nextRunAt = previous.nextRunAt;
        return;
      }
      const states = early ?? (await loadStates());
      w.series = workload.metrics.map((metric, i) => {
        const drift = accuracyDrift(metricProfile(w, metric.name)?.accuracy, feedbackOf(metric));
        const read = planRead(
          metric,
          states[i],
          nowMs,
          opts,
          (s) => opts.engine.needsRefit(s, nowMs),
          fullRefit,
          drift !== undefined,
        );
        return {
          metric,
          stored: states[i],
          read,
          queryId: `${w.workloadId}/${metric.name}`,
          ...(read.reason === 'accuracy-drift' && drift
            ? { drift: `${drift.horizon}: ${drift.detail}` }
            : {}),
        };
      });
      await loadHistory(w, nowMs, ports);
    });
  });
}

/** The metric's feedback settings, defaults filled in. */
function feedbackOf(metric: WorkloadMetric): FeedbackSettings {
  return metric.feedback ? FeedbackSettings.parse(metric.feedback) : DEFAULT_FEEDBACK;
}

/** The stored profile of one metric (the one being learned in this run, once there is one). */
function metricProfile(w: WorkloadWork, metric: string): MetricProfile | undefined {
  return (w.profile ?? w.record?.profile)?.metrics?.[metric];
}

/**
 * The stored forecasts this run's points can score: those made since the newest scored (or
 * absorbed) point, less the longest horizon scored. One query per metric, bounded by its limit.
 */
async function loadHistory(w: WorkloadWork, nowMs: number, ports: ForecasterPorts): Promise<void> {
  const workload = (w.record as WorkloadRecord).workload;
  await Promise.all(
    w.series.map(async (s) => {
      const after = Math.max(
        metricProfile(w, s.metric.name)?.accuracy?.through ?? 0,
        s.stored?.lastPointMs ?? 0,
      );
      if (after === 0) return;
      const { sinceMs } = scoringWindow(after, workload.contention.horizonSeconds * 1000);
      const periodMs = s.metric.periodSeconds * 1000;
      const limit = Math.max(1, Math.min(HISTORY_READ_LIMIT, Math.ceil((nowMs - sinceMs) / periodMs) + 2));
      s.history = await ports.repositories.predictions.history(w.workloadId, s.metric.name, {
        sinceMs,
        limit,
      });
    }),
  );
}

/** At most a day of 5-minute forecasts per query (the store's default history bound). */
const HISTORY_READ_LIMIT = 288;

/**
 * A series fitted from less history than a confident fit needs starts from the model of the
 * nearest known series (by fingerprint): its fingerprint is taken from the points just read, the
 * candidates from the registry's profiles (read once per run, only when needed).
 */
async function prepareColdStarts(
  works: WorkloadWork[],
  ports: ForecasterPorts,
  shared: RunShared,
): Promise<void> {
  for (const w of works) {
    if (w.outcome.status === 'failed' || w.outcome.skipped) continue;
    for (const s of w.series) {
      if (s.read.mode !== 'full' || s.answer?.kind !== 'data') continue;
      const points = bucketByPeriod(s.answer.points, s.metric.periodSeconds * 1000);
      const first = points[0];
      const last = points[points.length - 1];
      if (!first || !last || last.t - first.t >= COLD_START_HISTORY_MS) continue;
      const target = updateFingerprint(undefined, points) as MetricFingerprint;
      shared.candidates ??= loadCandidates(ports);
      try {
        const choice = coldStartChoice(target, w, await shared.candidates);
        if (choice) s.coldStart = choice;
      } catch {
        // No candidates (the registry could not be read): the series fits on its own history.
      }
    }
  }
}

async function loadCandidates(ports: ForecasterPorts): Promise<FingerprintCandidate[]> {
  const out: FingerprintCandidate[] = [];
  let cursor: string | undefined;
  let read = 0;
  do {
    const page = await ports.repositories.workloads.list({ limit: LIST_PAGE, ...(cursor ? { cursor } : {}) });
    for (const record of page.items)
      for (const [metric, p] of Object.entries(record.profile.metrics ?? {}))
        if (p.fingerprint && p.model)
          out.push({
            workloadId: record.workload.workloadId,
            metric,
            fingerprint: p.fingerprint,
            model: p.model,
          });
    read += page.items.length;
    cursor = page.next;
  } while (cursor && read < COLD_START_CANDIDATE_WORKLOADS);
  return out;
}

/** Spread scheduled refits over runs (in registry order, so the same series go first next run). */
function spreadRefits(works: readonly WorkloadWork[], budget: RunShared): void {
  for (const w of works) {
    for (const s of w.series) {
      const scheduled = s.read.reason === 'refit-due' || s.read.reason === 'accuracy-drift';
      if (!scheduled || !s.stored) continue;
      if (budget.refits > 0) budget.refits--;
      else s.read = { ...incrementalRead(s.metric, s.stored, s.read.endMs), deferred: true };
    }
  }
}

/**
 * Update or refit, forecast, score and decide (CPU only, after the chunk's one batched read). A
 * state the engine refuses to update is refitted from full history in the same run.
 */
async function forecastChunk(
  works: WorkloadWork[],
  nowMs: number,
  ports: ForecasterPorts,
  opts: ForecasterOptions,
): Promise<void> {
  const again: SeriesWork[] = [];
  for (const w of works) {
    if (w.outcome.status === 'failed' || w.outcome.skipped) continue;
    for (const s of w.series) {
      const outcome = forecastSeries(w, s, nowMs, opts);
      if (outcome === 'refit') again.push(s);
      // A chunk holds hundreds of states (tens of KB each): the old one is not needed past here.
      else delete s.stored;
    }
  }
  if (again.length > 0) {
    const retry = works.filter((w) => w.series.some((s) => again.includes(s)));
    await readSeries(retry, ports.metrics, new Set(again));
    for (const w of retry)
      for (const s of w.series)
        if (again.includes(s)) {
          forecastSeries(w, s, nowMs, opts);
          delete s.stored;
        }
  }
  for (const w of works) {
    if (w.outcome.status === 'failed' || w.outcome.skipped) continue;
    isolateSync(w, () => {
      learnCorrelations(w);
      scoreWorkload(w, nowMs, opts.cadence);
    });
  }
}

/** Store predictions and states; a workload whose writes fail publishes nothing. */
async function storeChunk(
  works: WorkloadWork[],
  ports: ForecasterPorts,
  opts: ForecasterOptions,
  result: ForecastRunResult,
): Promise<void> {
  const { predictions } = ports.repositories;
  await mapLimit(works, opts.concurrency, async (w) => {
    if (w.outcome.status === 'failed') return;
    await isolate(w, async () => {
      const profile = w.profile;
      await Promise.all([
        ...w.predictions.map((p) => predictions.putPrediction(p)),
        ...w.states.map((s) => predictions.putModelState(s)),
        ...(profile ? [ports.repositories.workloads.putProfile(w.workloadId, profile)] : []),
      ]);
    });
  });
  for (const w of works) {
    result.series += w.states.length;
    // Written: the rest of the run needs only the decision and the events.
    w.predictions = [];
    w.states = [];
    w.signals = [];
  }
}

/** Publish, then store decisions whose transition (if any) made it onto the bus. */
async function publishChunk(
  works: WorkloadWork[],
  ports: ForecasterPorts,
  opts: ForecasterOptions,
  result: ForecastRunResult,
): Promise<void> {
  const { predictions } = ports.repositories;
  const toPublish = works.filter((w) => w.outcome.status !== 'failed').flatMap((w) => w.events);
  const failedEvents = new Set<ShadowscaleEvent>();
  if (toPublish.length > 0) {
    let published: PublishResult;
    try {
      published = await ports.events.publish(toPublish);
    } catch (error) {
      // A publisher that throws (rather than reporting entries) failed them all.
      const { name, message } = errorInfo(error);
      published = {
        published: 0,
        failed: toPublish.map((event) => ({ event, error: `${name}: ${message}` })),
      };
    }
    result.eventsPublished += published.published;
    for (const f of published.failed) {
      failedEvents.add(f.event);
      result.publishFailures.push({
        workloadId: f.event.detail.workloadId ?? '',
        detailType: f.event.detailType,
        error: f.error,
      });
    }
  }
  await mapLimit(works, opts.concurrency, async (w) => {
    if (w.outcome.status === 'failed') return;
    w.outcome.published = w.events.filter((e) => !failedEvents.has(e)).map((e) => e.detailType);
    // Anomaly events are not retried: the series' anomaly status is already stored with its state.
    const transitionLost = w.events.some((e) => e.detailType.startsWith('Contention') && failedEvents.has(e));
    if (transitionLost) {
      // Keep the previous decision so the next run sees the change again and republishes it.
      w.outcome.error = {
        name: 'PublishError',
        message: 'the contention event was not published; retried next run',
      };
      return;
    }
    const decision = w.decision;
    if (decision) await isolate(w, () => predictions.putDecision(decision));
  });
}

/** Read every planned series of `works` (or only `only`), isolating per workload on failure. */
async function readSeries(
  works: WorkloadWork[],
  metrics: MetricsSource,
  only?: Set<SeriesWork>,
): Promise<void> {
  const wanted = (s: SeriesWork) => (only ? only.has(s) : true) && s.read.endMs > s.read.startMs;
  const live = works.filter((w) => w.outcome.status !== 'failed');
  const queriesOf = (w: WorkloadWork): { s: SeriesWork; q: MetricQuery }[] =>
    w.series.filter(wanted).map((s) => ({
      s,
      q: { id: s.queryId, metric: s.metric, startMs: s.read.startMs, endMs: s.read.endMs },
    }));
  const all = live.flatMap(queriesOf);
  if (all.length === 0) return;
  try {
    const answers = await metrics.fetch(all.map((a) => a.q));
    all.forEach((a, i) => {
      a.s.answer = answers[i];
    });
    return;
  } catch (error) {
    // One bad query (a refused metric, an unknown one) must not fail the chunk: retry per workload.
    let transient = 0;
    for (const w of live) {
      const mine = queriesOf(w);
      if (mine.length === 0) continue;
      await isolate(w, async () => {
        const answers = await metrics.fetch(mine.map((a) => a.q));
        mine.forEach((a, i) => {
          a.s.answer = answers[i];
        });
      });
      if (w.outcome.error?.name === 'TransientError') transient++;
    }
    // If the source is down for everyone, fail the run so Step Functions retries it later.
    if (transient > 0 && live.every((w) => w.outcome.status === 'failed')) {
      throw new TransientError(`the metrics source failed for every workload: ${errorInfo(error).message}`, {
        cause: error,
      });
    }
  }
}

/** Forecast one series. Returns 'refit' when the stored state must be refitted from full history. */
function forecastSeries(
  w: WorkloadWork,
  s: SeriesWork,
  nowMs: number,
  opts: ForecasterOptions,
): 'ok' | 'refit' | 'error' {
  const record = w.record as WorkloadRecord;
  const workload = record.workload;
  const existing = w.outcome.metrics.findIndex((m) => m.metric === s.metric.name);
  const outcome: MetricOutcome = {
    metric: s.metric.name,
    mode: s.read.mode,
    ...(s.read.reason ? { reason: s.read.reason } : {}),
    ...(s.read.deferred ? { refitDeferred: true } : {}),
    newPoints: 0,
  };
  if (existing >= 0) w.outcome.metrics[existing] = outcome;
  else w.outcome.metrics.push(outcome);
  const periodMs = s.metric.periodSeconds * 1000;
  try {
    const answer = s.answer;
    const points = answer?.kind === 'data' ? bucketByPeriod(answer.points, periodMs) : [];
    if (answer?.kind === 'data' && !answer.complete) outcome.partial = true;
    outcome.newPoints = points.length;
    const high = w.previous?.expectedHigh?.[s.metric.name];
    if (high !== undefined && points.some((p) => p.v > high)) s.breached = true;
    const state = nextState(s, points, workload, nowMs, opts);
    if (state === 'refit') return 'refit';
    recordForecast(w, s, outcome, state, points, nowMs, opts);
    return 'ok';
  } catch (error) {
    outcome.error = errorInfo(error);
    return 'error';
  }
}

/**
 * The series' model after this run's points: a full fit, or the stored state updated. 'refit'
 * when the engine refuses the stored state (the series is then read again from full history).
 */
function nextState(
  s: SeriesWork,
  points: readonly MetricPoint[],
  workload: Workload,
  nowMs: number,
  opts: ForecasterOptions,
): ModelState | 'refit' {
  const periodMs = s.metric.periodSeconds * 1000;
  if (s.read.mode === 'full') {
    if (points.length === 0) {
      throw new NoDataError(
        `no data for metric ${s.metric.name} (${s.metric.namespace}/${s.metric.metricName}) in the last ${Math.round((s.read.endMs - s.read.startMs) / DAY_MS)} day(s)`,
      );
    }
    const { series } = opts.engine.clean(points, { intervalMs: periodMs });
    const fitOptions = {
      quantiles: forecastQuantiles(workload, s.metric),
      horizonSteps: Math.ceil((workload.contention.horizonSeconds * 1000) / periodMs),
    };
    if (s.coldStart) {
      try {
        return opts.engine.fit(series, { ...fitOptions, model: s.coldStart.fitModel });
      } catch (error) {
        // The neighbour's model needs more history than there is: the series chooses its own.
        if (!(error instanceof ForecastInputError)) throw error;
        delete s.coldStart;
      }
    }
    return opts.engine.fit(series, fitOptions);
  }
  let state = (s.stored as ModelStateRecord).state as ModelState;
  if (points.length > 0) {
    const { series } = opts.engine.clean(points, { intervalMs: periodMs });
    try {
      state = opts.engine.update(state, series);
    } catch (error) {
      if (error instanceof ForecastInputError) {
        s.read = fullRead(s.metric, nowMs, opts, 'incompatible-state');
        delete s.answer;
        return 'refit';
      }
      throw error;
    }
  }
  if (nowMs - state.lastPointMs > opts.staleAfterMs) {
    throw new NoDataError(
      `metric ${s.metric.name} has had no data since ${new Date(state.lastPointMs).toISOString()}`,
    );
  }
  return state;
}

/**
 * Forecast the horizon from the new state and keep what the run stores and scores: the
 * prediction, the state with its anomaly status and fingerprint, the demand on the planning path.
 */
function recordForecast(
  w: WorkloadWork,
  s: SeriesWork,
  outcome: MetricOutcome,
  state: ModelState,
  points: readonly MetricPoint[],
  nowMs: number,
  opts: ForecasterOptions,
): void {
  const workload = (w.record as WorkloadRecord).workload;
  const steps = horizonSteps(
    state.lastPointMs + state.intervalMs,
    state.intervalMs,
    nowMs,
    workload.contention.horizonSeconds,
  );
  const { future, past } = splitSignals(w.signals, nowMs);
  const forecast = opts.engine.forecast(state, {
    horizonSteps: steps,
    quantiles: forecastQuantiles(workload, s.metric),
    signals: future,
    pastSignals: past,
  });
  requireQuantiles(forecast, forecastQuantiles(workload, s.metric));
  const learned = workload.policy.learn
    ? learnStep(s.stored?.learner, { workload, metric: s.metric, nowMs, observed: points, forecast })
    : undefined;
  const planning = learned?.settings;
  const atQuantile = planningPath({ ...forecast, planning }, s.metric);
  if (planning) outcome.planning = planning;
  if (learned?.change) outcome.planningChange = learned.change;
  outcome.model = forecast.model;
  outcome.confidence = forecast.confidence;
  outcome.horizonSteps = steps;
  outcome.peakP50 = max(forecast.point);
  const next = forecast.point[0];
  if (next !== undefined && Number.isFinite(next)) outcome.nextP50 = next;
  const newest = points[points.length - 1];
  if (newest !== undefined && Number.isFinite(newest.v)) outcome.observed = newest.v;
  outcome.peakAtQuantile = max(atQuantile);
  w.predictions.push({
    workloadId: w.workloadId,
    metric: s.metric.name,
    generatedAt: nowMs,
    startMs: forecast.startMs,
    intervalMs: forecast.intervalMs,
    point: forecast.point,
    quantiles: forecast.quantiles,
    model: forecast.model,
    confidence: forecast.confidence,
    signals: forecast.appliedSignals,
    ...(planning ? { planning } : {}),
  });
  // Raw points, not the engine's cleaned series: cleaning would remove the very outliers we score.
  const { anomaly, changes } = advanceSeriesAnomaly(s.stored?.anomaly, points);
  if (anomaly?.score != null) outcome.anomalyScore = anomaly.score;
  w.events.push(...anomalyEvents(w.workloadId, s.metric.name, changes));
  learnProfile(w, s, outcome, state, points, nowMs);
  w.states.push({
    workloadId: w.workloadId,
    metric: s.metric.name,
    lastPointMs: state.lastPointMs,
    fittedAt: state.fittedAtMs,
    state,
    ...(anomaly ? { anomaly } : {}),
    ...(learned ? { learner: learned.state } : {}),
    // Where the stored fit-only part is: the store rewrites it only when this state's differs.
    ...(s.stored?.baseRef ? { baseRef: s.stored.baseRef } : {}),
  });
  demandsOf(w).set(s.metric.name, {
    metric: s.metric.name,
    startMs: forecast.startMs,
    intervalMs: forecast.intervalMs,
    values: atQuantile,
  });
}

/**
 * The metric's profile after this run: the fingerprint advanced by the new points (signal
 * windows measured as responses), the stored forecasts these points observe scored, the model of
 * a full fit remembered for later cold starts of similar series.
 */
function learnProfile(
  w: WorkloadWork,
  s: SeriesWork,
  outcome: MetricOutcome,
  state: ModelState,
  points: readonly MetricPoint[],
  nowMs: number,
): void {
  if (points.length === 0 && s.read.mode !== 'full') {
    // Nothing new: the stored profile stands, and nothing is written for it.
    delete s.history;
    return;
  }
  const previous = metricProfile(w, s.metric.name) ?? {};
  const fingerprint = updateFingerprint(
    previous.fingerprint ?? s.stored?.fingerprint,
    points,
    undefined,
    w.signals,
  );
  const level = fingerprint?.level ?? points[points.length - 1]?.v ?? 1;
  let accuracy = previous.accuracy;
  if (s.history && s.history.length > 0 && points.length > 0) {
    const scored = scoreForecasts(accuracy, s.history, points, level, feedbackOf(s.metric));
    accuracy = scored.accuracy;
    outcome.scored = scored.scored;
  } else if (points.length > 0 && !accuracy) {
    accuracy = { h: {}, through: points[points.length - 1]?.t ?? 0 };
  }
  delete s.history;
  const next: MetricProfile = { ...previous };
  if (fingerprint) next.fingerprint = fingerprint;
  if (s.read.mode === 'full') {
    next.model = state.model;
    if (s.coldStart) {
      next.coldStart = {
        ...s.coldStart.from,
        distance: round4(s.coldStart.distance),
        model: state.model,
        at: nowMs,
      };
      outcome.coldStart = s.coldStart;
    } else delete next.coldStart;
  }
  if (s.read.reason === 'accuracy-drift') {
    // The new model is judged on its own forecasts from here on.
    accuracy = resetAccuracy(accuracy, nowMs);
    next.feedbackRefit = { at: nowMs, detail: (s.drift ?? 'accuracy drift').slice(0, 200) };
    if (s.drift) outcome.feedbackDrift = s.drift;
  }
  if (accuracy) {
    next.accuracy = accuracy;
    outcome.accuracy = accuracy.h;
  }
  s.points = points.slice();
  const profile = w.profile ?? { ...(w.record as WorkloadRecord).profile };
  w.profile = {
    ...profile,
    metrics: { ...(profile.metrics ?? {}), [s.metric.name]: next },
    updatedAt: nowMs,
  };
}

/** The workload's metrics' running pairwise correlations, advanced by this run's points. */
function learnCorrelations(w: WorkloadWork): void {
  const profile = w.profile;
  if (!profile || w.series.length < 2) return;
  const series = w.series.flatMap((s) => {
    const level = profile.metrics?.[s.metric.name]?.fingerprint?.level;
    return s.points && level !== undefined ? [{ metric: s.metric.name, points: s.points, level }] : [];
  });
  for (const s of w.series) delete s.points;
  if (series.length < 2) return;
  w.profile = { ...profile, correlation: updateCorrelations(profile.correlation, series) };
}

const round4 = (x: number) => Number(x.toPrecision(4));

const demandCache = new WeakMap<WorkloadWork, Map<string, MetricDemand>>();
function demandsOf(w: WorkloadWork): Map<string, MetricDemand> {
  let map = demandCache.get(w);
  if (!map) {
    map = new Map();
    demandCache.set(w, map);
  }
  return map;
}

/**
 * A workload whose critical metric (or every metric) failed cannot be scored: it is failed and
 * nothing of it is stored. One with only a non-critical metric failed is degraded.
 */
function failUnscorable(w: WorkloadWork, workload: Workload): boolean {
  const failed = w.outcome.metrics.filter((m) => m.error);
  const criticalFailed = failed.filter((m) => workload.metrics.find((x) => x.name === m.metric)?.critical);
  if (criticalFailed.length > 0 || failed.length === workload.metrics.length) {
    const first = (criticalFailed[0] ?? failed[0]) as MetricOutcome;
    const error = first.error as ErrorInfo;
    w.outcome.status = 'failed';
    w.outcome.error = { name: error.name, message: `metric ${first.metric}: ${error.message}` };
    // A half-updated workload would mix runs.
    w.predictions = [];
    w.states = [];
    delete w.profile;
    return true;
  }
  if (failed.length > 0) w.outcome.status = 'degraded';
  return false;
}

/** `Forecast Computed`: the metrics forecast in this run and the workload's score. */
function forecastComputed(w: WorkloadWork, score: number, nowMs: number): ShadowscaleEvent {
  const ok = w.outcome.metrics.filter((m) => !m.error);
  return {
    detailType: 'Forecast Computed',
    detail: {
      workloadId: w.workloadId,
      generatedAt: nowMs,
      metrics: ok.map((m) => ({
        metric: m.metric,
        model: m.model as string,
        confidence: m.confidence as 'high' | 'low',
        horizonSteps: m.horizonSteps as number,
        peakP50: m.peakP50 as number,
        peakAtQuantile: m.peakAtQuantile as number,
      })),
      contentionScore: score,
    },
  };
}

/** What scoring found for a workload in this run, as its outcome, decision record, cadence and events use it. */
interface Scored {
  workload: Workload;
  assessment: ContentionAssessment;
  decision: Decision;
  shadowUnits: number;
  escalated: boolean;
  shortageAt: number;
  anomalous: { score: number; metrics: string[] };
}

/** Records the score and decision in the run's outcome and in the decision record to store (returned). */
function recordScore(w: WorkloadWork, s: Scored, nowMs: number): ContentionDecisionRecord {
  const { assessment, decision, shadowUnits, escalated, shortageAt, anomalous } = s;
  // The decision remembers the size last announced, so that escalations compare against it.
  const announcedUnits =
    decision.transition === 'predicted' || escalated
      ? shadowUnits
      : (w.previous?.recommendedShadowUnits ?? shadowUnits);
  w.outcome.score = assessment.score;
  w.outcome.contended = decision.contended;
  if (decision.transition) w.outcome.transition = decision.transition;
  else if (escalated) w.outcome.transition = 'escalated';
  if (decision.contended) {
    w.outcome.shortageAt = shortageAt;
    w.outcome.recommendedShadowUnits = shadowUnits;
  }
  w.decision = {
    workloadId: w.workloadId,
    contended: decision.contended,
    score: assessment.score,
    since: decision.since,
    updatedAt: nowMs,
    ...(decision.contended ? { shortageAt, recommendedShadowUnits: announcedUnits } : {}),
    anomalyScore: anomalous.score,
    ...(anomalous.metrics.length > 0 ? { anomalousMetrics: anomalous.metrics } : {}),
  };
  return w.decision;
}

/** Plans the workload's next forecast run under the adaptive cadence, in its decision and outcome. */
function planNextRun(
  w: WorkloadWork,
  record: ContentionDecisionRecord,
  s: Scored,
  nowMs: number,
  cadence: CadenceSettings,
): void {
  const { workload, decision, assessment, anomalous } = s;
  const next = nextForecastRun(
    {
      nowMs,
      contended: decision.contended,
      score: assessment.score,
      clearThreshold: workload.contention.clearThreshold,
      anomalous: anomalous.metrics.length > 0,
      breached: w.series.some((st) => st.breached),
      signalAhead: signalAhead(w.signals, nowMs, cadence),
      unitsAhead: unitsAhead(workload, w.predictions, nowMs, cadence.stepMs, cadence.maxSteps),
    },
    cadence,
  );
  record.nextRunAt = next.nextRunAt;
  record.expectedHigh = expectedHighs(w, nowMs, next.nextRunAt);
  w.outcome.nextRunAt = next.nextRunAt;
  w.outcome.cadence = next.reason;
}

/** `Contention Predicted` (on the transition or an escalation) or `Contention Cleared`, if either is due. */
function contentionEvent(w: WorkloadWork, s: Scored, nowMs: number): ShadowscaleEvent | undefined {
  const { workload, assessment, decision, anomalous } = s;
  if (decision.transition === 'predicted' || s.escalated) {
    return {
      detailType: 'Contention Predicted',
      detail: {
        workloadId: w.workloadId,
        score: assessment.score,
        threshold: workload.contention.threshold,
        shortageAt: s.shortageAt,
        peakUnits: assessment.peakUnits,
        primaryMaxUnits: workload.capacity.maxUnits,
        recommendedShadowUnits: s.shadowUnits,
        predictedAt: nowMs,
        // Demand that is anomalous right now is a poor guide to demand later.
        ...(anomalous.metrics.length > 0
          ? { confidence: 'low' as const, anomaly: { score: anomalous.score, metrics: anomalous.metrics } }
          : {}),
      },
    };
  }
  if (decision.transition === 'cleared') {
    return {
      detailType: 'Contention Cleared',
      detail: {
        workloadId: w.workloadId,
        score: assessment.score,
        clearThreshold: workload.contention.clearThreshold,
        clearedAt: nowMs,
      },
    };
  }
  return undefined;
}

/** Score the workload, decide with hysteresis, and queue its events and decision. */
function scoreWorkload(w: WorkloadWork, nowMs: number, cadence: CadenceSettings | undefined): void {
  const workload = (w.record as WorkloadRecord).workload;
  if (failUnscorable(w, workload)) return;
  const assessment = assessContention(workload, [...demandsOf(w).values()]);
  const decision = decide(w.previous, assessment.score, workload.contention, nowMs);
  const shadowUnits = shadowUnitsFor(workload, assessment.peakUnits);
  const scored: Scored = {
    workload,
    assessment,
    decision,
    shadowUnits,
    escalated: shouldEscalate(w.previous, decision, shadowUnits),
    shortageAt: assessment.shortageAt ?? assessment.worstAt ?? nowMs,
    anomalous: workloadAnomaly(
      w.states.flatMap((st) => (st.anomaly ? [{ metric: st.metric, anomaly: st.anomaly }] : [])),
    ),
  };
  const record = recordScore(w, scored, nowMs);
  if (cadence) planNextRun(w, record, scored, nowMs, cadence);
  w.events.push(forecastComputed(w, assessment.score, nowMs));
  const event = contentionEvent(w, scored, nowMs);
  if (event) w.events.push(event);
}

/** Due now under the adaptive cadence: no stored plan, its time has come, or a signal is near. */
function isDue(
  previous: ContentionDecisionRecord | undefined,
  signals: readonly Signal[],
  nowMs: number,
  cadence: CadenceSettings,
): boolean {
  if (previous?.nextRunAt === undefined) return true;
  // Half a period of slack: a schedule that fires a little early still runs the workload.
  if (nowMs >= previous.nextRunAt - cadence.stepMs / 2) return true;
  return signalAhead(signals, nowMs, cadence);
}

/** A signal starts or ends between the last run and the longest gap ahead: run every step. */
function signalAhead(signals: readonly Signal[], nowMs: number, cadence: CadenceSettings): boolean {
  const from = nowMs - cadence.stepMs;
  const to = nowMs + cadence.maxSteps * cadence.stepMs;
  return signals.some(
    (s) => (s.startsAt >= from && s.startsAt <= to) || (s.endsAt >= from && s.endsAt <= to),
  );
}

/** Per metric, the planning path's highest value from now until the next run (metric units). */
function expectedHighs(w: WorkloadWork, nowMs: number, untilMs: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of demandsOf(w).values()) {
    let high = Number.NEGATIVE_INFINITY;
    d.values.forEach((v, i) => {
      const t = d.startMs + i * d.intervalMs;
      if (t + d.intervalMs > nowMs && t <= untilMs) high = Math.max(high, v);
    });
    if (Number.isFinite(high)) out[d.metric] = high;
  }
  return out;
}

function anomalyEvents(
  workloadId: string,
  metric: string,
  changes: readonly AnomalyChange[],
): ShadowscaleEvent[] {
  return changes.map((c) =>
    c.kind === 'detected'
      ? {
          detailType: 'Anomaly Detected' as const,
          detail: {
            workloadId,
            metric,
            at: c.at,
            observed: c.observed,
            expectedLow: c.expected?.low ?? c.observed,
            expectedHigh: c.expected?.high ?? c.observed,
            score: c.score,
          },
        }
      : {
          detailType: 'Anomaly Cleared' as const,
          detail: { workloadId, metric, at: c.at, since: c.since ?? c.at, score: c.score },
        },
  );
}

/** The engine must return every quantile the planning path reads; a missing one is not a zero. */
function requireQuantiles(forecast: ForecastResult, qs: readonly number[]): void {
  for (const q of qs) {
    if (!forecast.quantiles.some((x) => Math.abs(x.q - q) < 1e-9)) {
      throw new ForecastInputError(`the engine did not return quantile ${q}`);
    }
  }
}

function max(values: readonly number[]): number {
  let m = Number.NEGATIVE_INFINITY;
  for (const v of values) if (v > m) m = v;
  return m;
}

export function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

function fail(w: WorkloadWork, error: unknown): void {
  w.outcome.status = 'failed';
  w.outcome.error = errorInfo(error);
  w.predictions = [];
  w.states = [];
  w.events = [];
  delete w.decision;
  delete w.profile;
}

async function isolate(w: WorkloadWork, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    fail(w, error);
  }
}

function isolateSync(w: WorkloadWork, fn: () => void): void {
  try {
    fn();
  } catch (error) {
    fail(w, error);
  }
}

/** Run `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
