import type { ModelState } from '../shared/model/api';
import type { Page } from '../shared/ports/repositories';
import { Workload, type WorkloadRecord } from '../shared/schemas/workload';

/**
 * The bench's stand-in for DynamoDB (see bench/forecaster.ts), run in a child process so the
 * forecaster process holds only what a Lambda would: its code and the chunk in flight. Items are
 * kept serialised (JSON) as a table would keep them; the forecaster pays for (de)serialising each
 * one, as it pays for marshalling against DynamoDB. The child seeds itself (workloads and one
 * model state per series, cloned from the templates the parent fitted), so the parent never holds
 * the estate either.
 */

export const CHILD_FLAG = '--bench-forecaster-store';

export type StoreRequest =
  | { id: number; op: 'seed'; templates: ModelState[]; workloads: number; metrics: number }
  | { id: number; op: 'get'; workloadId: string }
  | { id: number; op: 'list'; limit: number; cursor?: string }
  | { id: number; op: 'getState' | 'getDecision' | 'getPrediction'; key: string }
  | { id: number; op: 'putState' | 'putDecision' | 'putPrediction'; key: string; json: string }
  | { id: number; op: 'history'; key: string; sinceMs: number; limit: number }
  | { id: number; op: 'putProfile'; workloadId: string; json: string }
  | { id: number; op: 'stats' };

export interface StoreReply {
  id: number;
  result?: unknown;
  error?: string;
}

export interface StoreStats {
  workloads: number;
  states: number;
  stateBytes: number;
  predictions: number;
  decisions: number;
  contended: number;
}

export function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

export function workloadIdOf(index: number): string {
  return `w-${String(index).padStart(6, '0')}`;
}

export function benchWorkload(index: number, metrics: number): WorkloadRecord {
  const id = workloadIdOf(index);
  const workload = Workload.parse({
    workloadId: id,
    compute: { kind: 'ecs', cluster: 'bench', service: id },
    traffic: {
      listenerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/bench/1/2',
      primaryTargetGroupArn: `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${id}-p/1`,
      shadowTargetGroupArn: `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${id}-s/1`,
    },
    regions: { primary: 'us-east-1' },
    // 20 units x 600-1,199 x 0.7 = 8,400-16,800 per metric against levels of 1,000-17,000: some
    // workloads contend, so the Contention Predicted path is part of the pass.
    capacity: { minUnits: 1, maxUnits: 20, shadowMaxUnits: 10 },
    metrics: Array.from({ length: metrics }, (_, m) => ({
      name: `m${m}`,
      namespace: 'Bench',
      metricName: `Metric${m}`,
      dimensions: { Workload: id },
      stat: 'Average',
      periodSeconds: 300,
      capacityPerUnit: 600 + (hash(id) % 600),
    })),
  });
  return { workload, profile: { demand: {} }, version: 1, createdAt: 0, updatedAt: 0 };
}

/** Forecasts kept per series: an hour and a bit at 5-minute runs, what a 1-hour horizon scores. */
const HISTORY_KEPT = 16;

class Store {
  records: WorkloadRecord[] = [];
  byId = new Map<string, WorkloadRecord>();
  items = {
    state: new Map<string, string>(),
    decision: new Map<string, string>(),
    prediction: new Map<string, string>(),
    /** The newest forecasts per series (generatedAt, JSON), for the feedback loop's reads. */
    history: new Map<string, { generatedAt: number; json: string }[]>(),
  };

  handle(request: StoreRequest): unknown {
    switch (request.op) {
      case 'seed': {
        for (let i = 0; i < request.workloads; i++) {
          const record = benchWorkload(i, request.metrics);
          this.records.push(record);
          this.byId.set(record.workload.workloadId, record);
          for (const metric of record.workload.metrics) {
            const key = `${record.workload.workloadId}/${metric.name}`;
            const state = request.templates[hash(key) % request.templates.length] as ModelState;
            const item = {
              workloadId: record.workload.workloadId,
              metric: metric.name,
              lastPointMs: state.lastPointMs,
              fittedAt: state.fittedAtMs,
              state,
            };
            this.items.state.set(key, JSON.stringify(item));
          }
        }
        return this.records.length;
      }
      case 'get':
        return this.byId.get(request.workloadId);
      case 'list': {
        const start = request.cursor ? Number(request.cursor) : 0;
        const end = Math.min(this.records.length, start + request.limit);
        const page: Page<WorkloadRecord> = {
          items: this.records.slice(start, end),
          ...(end < this.records.length ? { next: String(end) } : {}),
        };
        return page;
      }
      case 'getState':
        return this.items.state.get(request.key);
      case 'getDecision':
        return this.items.decision.get(request.key);
      case 'getPrediction':
        return this.items.prediction.get(request.key);
      case 'putState':
        this.items.state.set(request.key, request.json);
        return null;
      case 'putDecision':
        this.items.decision.set(request.key, request.json);
        return null;
      case 'putPrediction': {
        this.items.prediction.set(request.key, request.json);
        const kept = this.items.history.get(request.key) ?? [];
        const { generatedAt } = JSON.parse(request.json) as { generatedAt: number };
        kept.unshift({ generatedAt, json: request.json });
        this.items.history.set(request.key, kept.slice(0, HISTORY_KEPT));
        return null;
      }
      case 'history':
        return (this.items.history.get(request.key) ?? [])
          .filter((h) => h.generatedAt >= request.sinceMs)
          .slice(0, request.limit)
          .map((h) => h.json);
      case 'putProfile': {
        const record = this.byId.get(request.workloadId);
        if (!record) throw new Error(`workload ${request.workloadId} does not exist`);
        record.profile = JSON.parse(request.json) as WorkloadRecord['profile'];
        return null;
      }
      case 'stats': {
        let stateBytes = 0;
        for (const s of this.items.state.values()) stateBytes += s.length;
        let contended = 0;
        for (const d of this.items.decision.values())
          if ((JSON.parse(d) as { contended: boolean }).contended) contended++;
        const stats: StoreStats = {
          workloads: this.records.length,
          states: this.items.state.size,
          stateBytes,
          predictions: this.items.prediction.size,
          decisions: this.items.decision.size,
          contended,
        };
        return stats;
      }
    }
  }
}

/** Entry of the child process: answer requests until the parent disconnects. */
export function storeMain(): void {
  const store = new Store();
  process.on('message', (message: StoreRequest) => {
    let reply: StoreReply;
    try {
      reply = { id: message.id, result: store.handle(message) };
    } catch (error) {
      reply = { id: message.id, error: error instanceof Error ? error.message : String(error) };
    }
    process.send?.(reply);
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.argv.includes(CHILD_FLAG) && process.send) storeMain();
