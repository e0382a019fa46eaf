import type { FunctionSpec } from '../manifest';

export const STAGE_HISTORY_FUNCTION_ID = 'StageHistory';

/** Stage instrumentation: CodePipeline and CodeBuild state changes into per-run records. */
export const STAGE_HISTORY_FUNCTIONS: readonly FunctionSpec[] = [
  {
    id: STAGE_HISTORY_FUNCTION_ID,
    entry: 'functions/stage-history/index.ts',
    description:
      'Record CodePipeline stage/action and CodeBuild build/phase state changes as per-run history',
    timeoutSeconds: 30,
    memoryMb: 256,
    // Read the run's item, conditional put of the folded record (predictions table, run# partitions).
    tables: { predictions: ['GetItem', 'PutItem'] },
    permissions: [],
  },
];
