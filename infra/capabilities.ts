import {
  FORECAST_FUNCTIONS,
  FORECAST_SCHEDULE_TARGET,
  FORECAST_STATE_MACHINES,
  INGEST_SIGNAL_FUNCTION_ID,
} from '../functions/forecast/manifest';
import { MIGRATION_FUNCTIONS, MIGRATION_STATE_MACHINES } from '../functions/migration/manifest';
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
  },
  migration: {
    functions: MIGRATION_FUNCTIONS,
    stateMachines: MIGRATION_STATE_MACHINES,
    migrationId: 'ShadowPoolMigration',
    returnId: 'ShadowPoolReturn',
    contentionPredicted: CONTENTION_PREDICTED_RULE,
    contentionCleared: CONTENTION_CLEARED_RULE,
  },
};
