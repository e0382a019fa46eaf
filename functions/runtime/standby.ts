import { AwsStandbyPool, CloudWatchRegionalHealth } from '../../shared/aws/regional';
import type { RegionalHealthSource, StandbyPool } from '../../shared/ports/regions';
import { clock, overrides } from './index';

/**
 * The standby-region pool and per-region health for handlers, built once per container (clients
 * per region inside). `setRuntime({ standby, regionalHealth })` wins.
 */
let cachedStandby: StandbyPool | undefined;
let cachedHealth: RegionalHealthSource | undefined;

export function standby(): StandbyPool {
  if (overrides.standby) return overrides.standby;
  cachedStandby ??= new AwsStandbyPool();
  return cachedStandby;
}

export function regionalHealth(): RegionalHealthSource {
  if (overrides.regionalHealth) return overrides.regionalHealth;
  cachedHealth ??= new CloudWatchRegionalHealth(clock());
  return cachedHealth;
}
