import { SFNClient } from '@aws-sdk/client-sfn';
import { StepFunctionsRegionalStarter } from '../../shared/aws/regional-starter';
import { ConfigError } from '../../shared/errors';
import type { RegionalExecutionStarter } from '../../shared/ports/regions';
import { overrides } from './index';
import { traced } from './powertools';

/**
 * The regional execution starter for the detector, built once per container from the state
 * machine ARNs infra sets (`FAILOVER_STATE_MACHINE_ARN`, `FAILBACK_STATE_MACHINE_ARN`).
 * `setRuntime({ regionalStarter })` wins.
 */
let cached: RegionalExecutionStarter | undefined;

export function regionalStarter(): RegionalExecutionStarter {
  if (overrides.regionalStarter) return overrides.regionalStarter;
  if (cached) return cached;
  const failover = process.env.FAILOVER_STATE_MACHINE_ARN;
  const failback = process.env.FAILBACK_STATE_MACHINE_ARN;
  if (!failover || !failback) {
    throw new ConfigError(
      'FAILOVER_STATE_MACHINE_ARN and FAILBACK_STATE_MACHINE_ARN must be set for the regional detector',
    );
  }
  cached = new StepFunctionsRegionalStarter(traced(new SFNClient({})), { failover, failback });
  return cached;
}

export function resetRegionalStarterCache(): void {
  cached = undefined;
}
