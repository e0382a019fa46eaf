import type { ShadowscaleEvent } from '../../shared/schemas/events';
import type { LineKind } from './output';

/**
 * The local run's view of anomaly events: one line when a metric turns anomalous (observed value
 * against the interval it was expected in) and one when it is calm again.
 */
export function anomalyNotes(
  note: (atMs: number, kind: LineKind, text: string) => void,
): (event: ShadowscaleEvent) => void {
  return (event) => {
    if (event.detailType === 'Anomaly Detected') {
      const d = event.detail;
      note(
        d.at,
        'anomaly',
        `${d.metric}: ${d.observed.toFixed(0)} outside the expected ${d.expectedLow.toFixed(0)}..${d.expectedHigh.toFixed(0)}${d.score === undefined ? '' : ` (score ${d.score.toFixed(4)})`}`,
      );
    } else if (event.detailType === 'Anomaly Cleared') {
      const d = event.detail;
      note(
        d.at,
        'anomaly',
        `${d.metric}: calm again (anomalous for ${Math.round((d.at - d.since) / 60_000)} min)`,
      );
    }
  };
}
