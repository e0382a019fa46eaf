import type { FunctionSpec } from '../manifest';

export const BUILD_BROKER_FUNCTION_ID = 'BuildBroker';
export const BUILD_FEEDBACK_FUNCTION_ID = 'BuildFeedback';
export const BUILD_STARTER_FUNCTION_ID = 'BuildStarter';
export const BUILD_PIPELINE_ACTION_FUNCTION_ID = 'BuildPipelineAction';

/**
 * The build broker: allocation on stage start, profile feedback on stage end, the starter that
 * sizes and starts a CodeBuild build when invoked directly, and the CodePipeline invoke action
 * that does the same for a pipeline stage and follows the build to its end.
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
  {
    id: BUILD_PIPELINE_ACTION_FUNCTION_ID,
    entry: 'functions/build-broker/pipeline-action.ts',
    description:
      "CodePipeline invoke action: start the stage's CodeBuild build on the broker's size and report it until it ends",
    timeoutSeconds: 60,
    memoryMb: 512,
    // Reads the stage profile, puts the run's allocation, records the started build on it.
    tables: { predictions: ['GetItem', 'PutItem', 'UpdateItem'] },
    // StartBuild and BatchGetBuilds on the managed.buildProjects only; the job reports on `*`
    // (CodePipeline's job actions support no resource-level permissions).
    permissions: ['builds:start', 'builds:read-status', 'pipeline:report-jobs'],
  },
];
