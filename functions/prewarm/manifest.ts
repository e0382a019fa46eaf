import type { FunctionSpec } from '../manifest';

/** The pre-warm function: target of the `Forecast Computed` EventBridge rule. */
export const PREWARM_FUNCTIONS: readonly FunctionSpec[] = [
  {
    id: 'Prewarm',
    entry: 'functions/prewarm/index.ts',
    handler: 'handler',
    description:
      'Raise the primary pool ahead of the forecast demand (scale-out only); hold or raise the standby region',
    timeoutSeconds: 30,
    memoryMb: 256,
    tables: { workloads: 'read', predictions: 'read', operations: 'read' },
    permissions: ['ecs:manage-shadow', 'eks:manage-shadow'],
  },
];
