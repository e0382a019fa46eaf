import type { FunctionSpec } from '../manifest';

/** The pre-warm function: target of the `Forecast Computed` EventBridge rule. */
export const PREWARM_FUNCTIONS: readonly FunctionSpec[] = [
  {
    id: 'Prewarm',
    entry: 'functions/prewarm/index.ts',
    handler: 'handler',
    description: 'Raise the primary pool ahead of the forecast demand (scale-out only)',
    timeoutSeconds: 30,
    memoryMb: 256,
    tables: { workloads: ['GetItem'], predictions: ['GetItem'] },
    // Scale-out of the primary only: describe and update, never create or delete.
    permissions: ['ecs:read', 'ecs:scale', 'eks:read', 'eks:scale'],
  },
];
