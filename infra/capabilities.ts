import {
  BUILD_BROKER_FUNCTION_ID,
  BUILD_BROKER_FUNCTIONS,
  BUILD_FEEDBACK_FUNCTION_ID,
  BUILD_PIPELINE_ACTION_FUNCTION_ID,
  BUILD_STARTER_FUNCTION_ID,
} from '../functions/build-broker/manifest';
import {
  FAILOVER_DETECTOR_FUNCTION,
  FAILOVER_FUNCTIONS,
  FAILOVER_STATE_MACHINES,
} from '../functions/failover/manifest';
import {
  FORECAST_FUNCTIONS,
  FORECAST_SCHEDULE_TARGET,
  FORECAST_STATE_MACHINES,
  FORECAST_WIDGET_FUNCTION_ID,
  INGEST_SIGNAL_FUNCTION_ID,
} from '../functions/forecast/manifest';
import { LIFECYCLE_FUNCTIONS, LIFECYCLE_STATE_MACHINES } from '../functions/lifecycle/manifest';
import type { FunctionSpec } from '../functions/manifest';
import { MIGRATION_FUNCTIONS, MIGRATION_STATE_MACHINES } from '../functions/migration/manifest';
import { PIPELINE_FUNCTIONS, PIPELINE_STATE_MACHINES } from '../functions/pipeline/manifest';
import { PREWARM_FUNCTIONS } from '../functions/prewarm/manifest';
import { STAGE_HISTORY_FUNCTIONS } from '../functions/stage-history/manifest';
import { ValidationError } from '../shared/errors';
import { CONTENTION_CLEARED_RULE, CONTENTION_PREDICTED_RULE } from '../shared/migration/transformer';
import type { Capabilities } from './stacks/control-plane-stack';

/**
 * The capabilities the app deploys, each from its manifest (functions/<capability>/manifest.ts):
 * wiring a capability is importing its specs here.
 */
export const CAPABILITIES: Capabilities = {
  forecast: {
    functions: FORECAST_FUNCTIONS,
    stateMachines: FORECAST_STATE_MACHINES,
    ingestSignalId: INGEST_SIGNAL_FUNCTION_ID,
    scheduleTarget: FORECAST_SCHEDULE_TARGET,
    widgetId: FORECAST_WIDGET_FUNCTION_ID,
  },
  migration: {
    functions: MIGRATION_FUNCTIONS,
    stateMachines: MIGRATION_STATE_MACHINES,
    migrationId: 'ShadowPoolMigration',
    returnId: 'ShadowPoolReturn',
    contentionPredicted: CONTENTION_PREDICTED_RULE,
    contentionCleared: CONTENTION_CLEARED_RULE,
  },
  prewarm: { function: onlyOne(PREWARM_FUNCTIONS, 'prewarm') },
  builds: {
    functions: BUILD_BROKER_FUNCTIONS,
    brokerId: BUILD_BROKER_FUNCTION_ID,
    feedbackId: BUILD_FEEDBACK_FUNCTION_ID,
    starterId: BUILD_STARTER_FUNCTION_ID,
    pipelineActionId: BUILD_PIPELINE_ACTION_FUNCTION_ID,
  },
  lifecycle: {
    functions: LIFECYCLE_FUNCTIONS,
    stateMachines: LIFECYCLE_STATE_MACHINES,
    lifecycleId: 'Lifecycle',
  },
  pipeline: {
    functions: PIPELINE_FUNCTIONS,
    stateMachines: PIPELINE_STATE_MACHINES,
    stateMachineId: 'PipelineBranch',
    stageHistory: onlyOne(STAGE_HISTORY_FUNCTIONS, 'stage-history'),
  },
  failover: {
    functions: FAILOVER_FUNCTIONS,
    stateMachines: FAILOVER_STATE_MACHINES,
    failoverId: 'RegionalFailover',
    failbackId: 'RegionalFailback',
    detector: FAILOVER_DETECTOR_FUNCTION,
  },
};

function onlyOne(specs: readonly FunctionSpec[], capability: string): FunctionSpec {
  const [only, ...rest] = specs;
  if (!only || rest.length > 0)
    throw new ValidationError(
      `${capability} manifest: expected one function, got ${specs.map((s) => s.id).join(', ') || 'none'}`,
    );
  return only;
}
