import type { FunctionSpec } from '../manifest';

export const BUILD_BROKER_FUNCTION_ID = 'BuildBroker';
export const BUILD_FEEDBACK_FUNCTION_ID = 'BuildFeedback';

/** The build broker: allocation on stage start, profile feedback on stage end. */
export const BUILD_BROKER_FUNCTIONS: readonly FunctionSpec[] = [
  {
    id: BUILD_BROKER_FUNCTION_ID,
    entry: 'functions/build-broker/index.ts',
    description:
      'Allocate build/test capacity for a starting pipeline stage or workflow task from its predicted profile',
    timeoutSeconds: 30,
    memoryMb: 512,
    // Reads the stage profile, puts the run's allocation (predictions table, TTL).
    tables: { predictions: ['GetItem', 'PutItem'] },
    permissions: [],
  },
  {
    id: BUILD_FEEDBACK_FUNCTION_ID,
    entry: 'functions/build-broker/feedback.ts',
    description: 'Absorb a finished stage run into its profile; record adjustments on build phase changes',
    timeoutSeconds: 30,
    memoryMb: 512,
    // Reads the allocation and the profile, updates the profile, puts a phase-change adjustment.
    tables: { predictions: ['GetItem', 'PutItem', 'UpdateItem'] },
    permissions: [],
  },
];
