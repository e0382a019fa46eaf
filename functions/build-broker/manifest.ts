import type { FunctionSpec } from '../manifest';

export const BUILD_BROKER_FUNCTION_ID = 'BuildBroker';
export const BUILD_FEEDBACK_FUNCTION_ID = 'BuildFeedback';
export const BUILD_STARTER_FUNCTION_ID = 'BuildStarter';

/**
 * The build broker: allocation on stage start, profile feedback on stage end, and the starter that
 * sizes and starts a CodeBuild build when invoked directly.
 */
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
  {
    id: BUILD_STARTER_FUNCTION_ID,
    entry: 'functions/build-broker/start.ts',
    description: 'Allocate a run like the broker and start its CodeBuild build on that compute type',
    timeoutSeconds: 30,
    memoryMb: 512,
    // Reads the stage profile, puts the run's allocation, records the started build on it.
    tables: { predictions: ['GetItem', 'PutItem', 'UpdateItem'] },
    // codebuild:StartBuild on the projects registered in shadowscale:managed.buildProjects only.
    permissions: ['builds:start'],
  },
];
