import type { Clock } from '../../shared/clock';
import { type PipelineEvent, parsePipelineEvent } from '../../shared/pipeline/events';
import { type RecordOutcome, recordStageEvent } from '../../shared/pipeline/history';
import type { StageHistoryStore } from '../../shared/ports/stage-history';

export interface StageHistoryPorts {
  store: StageHistoryStore;
  clock: Clock;
}

/** One CodePipeline/CodeBuild state-change event, already parsed, into its run's record. */
export function ingestStageEvent(event: PipelineEvent, ports: StageHistoryPorts): Promise<RecordOutcome> {
  return recordStageEvent(ports.store, event, ports.clock.now());
}

/** The same from a raw event (direct invocation, the local run): a ValidationError names the field. */
export async function runIngestStageEvent(input: unknown, ports: StageHistoryPorts): Promise<RecordOutcome> {
  return ingestStageEvent(parsePipelineEvent(input), ports);
}
