import { MigrationInput } from '../../../shared/migration/input';
import {
  applyInputTransformer,
  CONTENTION_CLEARED_RULE,
  CONTENTION_PREDICTED_RULE,
  startInputForEvent,
} from '../../../shared/migration/transformer';
import { eventEnvelope } from '../../../shared/schemas/events';

const predicted = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'Contention Predicted',
  source: 'shadowscale',
  account: '123456789012',
  time: '2026-11-23T10:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: {
    workloadId: 'checkout-api',
    score: 0.42,
    threshold: 0.05,
    shortageAt: 1_795_000_000_000,
    peakUnits: 23.5,
    primaryMaxUnits: 20,
    recommendedShadowUnits: 5,
    predictedAt: 1_794_990_000_000,
  },
};

describe('Contention Predicted -> StartExecution input', () => {
  it('matches a valid event envelope', () => {
    expect(eventEnvelope('Contention Predicted').safeParse(predicted).success).toBe(true);
    expect(CONTENTION_PREDICTED_RULE.eventPattern).toEqual({
      source: ['shadowscale'],
      'detail-type': ['Contention Predicted'],
    });
  });

  it('produces a valid migration input whose operation id is derived from the event id', () => {
    const text = applyInputTransformer(CONTENTION_PREDICTED_RULE.inputTransformer, predicted);
    const input = MigrationInput.parse(JSON.parse(text));
    expect(input).toEqual({
      workloadId: 'checkout-api',
      operationId: 'contention-6a7e8feb-b491-4cf7-a9f1-bf3703467718',
      peakUnits: 23.5,
      // The size the planner announced travels to the migration, which provisions exactly it.
      plannedShadowUnits: 5,
      reason: 'Contention Predicted (score 0.42)',
      trigger: 'event',
    });
  });

  it('a redelivered event names the same operation', () => {
    const a = applyInputTransformer(CONTENTION_PREDICTED_RULE.inputTransformer, predicted);
    const b = applyInputTransformer(CONTENTION_PREDICTED_RULE.inputTransformer, structuredClone(predicted));
    expect(a).toBe(b);
  });

  it('every placeholder of the template has a path', () => {
    for (const rule of [CONTENTION_PREDICTED_RULE, CONTENTION_CLEARED_RULE]) {
      const used = [...rule.inputTransformer.inputTemplate.matchAll(/<([A-Za-z0-9_]+)>/g)].map((m) => m[1]);
      expect(new Set(used)).toEqual(new Set(Object.keys(rule.inputTransformer.inputPathsMap)));
      // EventBridge allows at most 100 paths, keys of letters/digits/_ only.
      for (const key of Object.keys(rule.inputTransformer.inputPathsMap))
        expect(key).toMatch(/^[A-Za-z0-9_]+$/);
    }
  });
});

describe('Contention Cleared -> StartExecution input', () => {
  it('produces a valid return input', () => {
    const event = {
      id: 'e-1',
      source: 'shadowscale',
      'detail-type': 'Contention Cleared',
      detail: { workloadId: 'checkout-api', score: 0, clearThreshold: 0.01, clearedAt: 1 },
    };
    const input = MigrationInput.parse(
      JSON.parse(applyInputTransformer(CONTENTION_CLEARED_RULE.inputTransformer, event)),
    );
    expect(input).toMatchObject({ workloadId: 'checkout-api', operationId: 'cleared-e-1', trigger: 'event' });
  });
});

describe('applyInputTransformer', () => {
  it('escapes quoted text and writes null for missing paths', () => {
    const shape = {
      inputPathsMap: { a: '$.detail.a', b: '$.detail.missing' },
      inputTemplate: '{"x": "<a>", "y": <b>}',
    };
    expect(JSON.parse(applyInputTransformer(shape, { detail: { a: 'he said "hi"' } }))).toEqual({
      x: 'he said "hi"',
      y: null,
    });
  });
});

describe('startInputForEvent', () => {
  it.each([
    ['Contention Predicted', predicted.detail, 'migration', 'contention-e-7'],
    [
      'Contention Cleared',
      { workloadId: 'checkout-api', score: 0, clearThreshold: 0.01, clearedAt: 1 },
      'return',
      'cleared-e-7',
    ],
  ])('%s starts a %s', (detailType, detail, kind, operationId) => {
    const started = startInputForEvent({ detailType, detail }, 'e-7');
    expect(started?.kind).toBe(kind);
    expect(MigrationInput.parse(started?.input)).toMatchObject({ workloadId: 'checkout-api', operationId });
  });

  it('ignores other events', () => {
    expect(startInputForEvent({ detailType: 'Forecast Computed', detail: {} }, 'e')).toBeUndefined();
  });
});
