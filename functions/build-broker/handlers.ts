import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { buildProfileStore } from '../runtime/build-profiles';
import { clock } from '../runtime/index';
import { type BrokerConfig, type BrokerDeps, brokerConfigFromEnv } from './core';

/** Powertools and dependencies shared by the two build-broker handlers. */
export function powertools(defaultService: string): { logger: Logger; metrics: Metrics; tracer: Tracer } {
  const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? defaultService;
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({
      namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Shadowscale',
      serviceName,
    }),
    tracer: new Tracer({ serviceName }),
  };
}

let config: BrokerConfig | undefined;

export function deps(): BrokerDeps {
  config ??= brokerConfigFromEnv(process.env);
  return { clock: clock(), store: buildProfileStore(), config };
}

/** Forget the cached configuration (tests that change the environment). */
export function resetBrokerConfig(): void {
  config = undefined;
}
