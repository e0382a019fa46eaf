import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import type { FunctionSpec } from '../../functions/manifest';
import { EVENT_SOURCE } from '../../shared/schemas/events';
import { buildFunctions, type CapabilityContext, pick } from './capability';
import type { ProjectFunction } from './project-function';
import { functionTarget } from './rule-target';

export interface PrewarmProps {
  readonly context: CapabilityContext;
  /** The pre-warm handler (functions/prewarm/manifest.ts). */
  readonly function: FunctionSpec;
}

/** Env var naming the standby region: the pre-warm function runs its standby leg only when set. */
export const STANDBY_REGION_ENV = 'SHADOWSCALE_STANDBY_REGION';

/**
 * The standby leg scales the standby region's service, so it is granted (and run) only when the
 * app has a standby region; without one the function keeps only its primary-region grants.
 */
function withStandby(spec: FunctionSpec, context: CapabilityContext): FunctionSpec {
  const region = context.permissionContext.standbyRegion;
  if (!region) return { ...spec, permissions: spec.permissions.filter((p) => p !== 'standby:scale') };
  if (!spec.permissions.includes('standby:scale')) return spec;
  return { ...spec, environment: { ...spec.environment, [STANDBY_REGION_ENV]: region } };
}

/**
 * Pre-warm: every `Forecast Computed` event from Shadowscale goes, asynchronously, to the
 * function that raises the primary pool ahead of the forecast. Retries and DLQs on both the rule
 * target and the function's asynchronous invocations.
 */
export class Prewarm extends Construct {
  public readonly function: ProjectFunction;
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: PrewarmProps) {
    super(scope, id);
    const functions = buildFunctions(this, [withStandby(props.function, props.context)], props.context, {
      asyncIds: [props.function.id],
    });
    this.function = pick(functions, props.function.id, 'function');
    this.rule = new events.Rule(this, 'Rule', {
      description: 'Shadowscale: pre-warm the primary pool on each forecast',
      eventBus: props.context.eventBus,
      eventPattern: { source: [EVENT_SOURCE], detailType: ['Forecast Computed'] },
    });
    this.rule.addTarget(
      functionTarget(this, this.function.function, {
        id: 'ForecastDelivery',
        purpose: 'Forecast Computed events EventBridge could not deliver to the pre-warm function',
        monitoring: props.context.monitoring,
        // A forecast is superseded by the next one (the schedule's period): do not act on stale ones.
        maxEventAge: Duration.minutes(15),
      }),
    );
  }
}
