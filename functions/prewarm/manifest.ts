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
    // The operation holding the workload lease (a running migration keeps its traffic share).
    tables: {
      workloads: ['GetItem'],
      // The latest forecast of each metric: the newest forecast item, a one-item Query.
      predictions: ['Query'],
      // The standby leg lists the workload's operations (a failover running holds the standby).
      operations: { actions: ['GetItem', 'Query'], indexes: ['byWorkload', 'recent'] },
    },
    // Floors of the primary (and an existing shadow): describe and update, never create or delete.
    // `standby:scale`: the same describe/scale calls on the standby region's service, granted there
    // when the app has a standby region (the Prewarm construct drops it otherwise).
    permissions: [
      'ecs:read',
      'ecs:scale',
      'ecs:set-floor',
      'eks:read',
      'eks:scale',
      'elb:read-weights',
      'standby:scale',
    ],
  },
];
