import { CfnOutput, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { FunctionSpec, StateMachineSpec } from '../../functions/manifest';
import { ValidationError } from '../../shared/errors';
import type { Workload } from '../../shared/schemas/workload';
import type { ShadowscaleConfig } from '../config';
import { BuildBroker } from '../constructs/build-broker';
import type { CapabilityContext } from '../constructs/capability';
import { Forecaster } from '../constructs/forecaster';
import { Lifecycle, lifecycleTargets } from '../constructs/lifecycle';
import { Monitoring, type ShadowscaleMetricNames } from '../constructs/monitoring';
import type { PermissionContext } from '../constructs/permissions';
import { PipelineBranch } from '../constructs/pipeline-branch';
import { Prewarm } from '../constructs/prewarm';
import { RegionFailover } from '../constructs/region-failover';
import { ShadowPoolOrchestrator, type StartRule } from '../constructs/shadow-pool-orchestrator';
import { SignalsIngest } from '../constructs/signals-ingest';
import { Tables, tablesUsedBy } from '../constructs/tables';
import { DEMO_CLUSTER_NAME, DEMO_LOAD_BALANCER_NAME } from './demo-workload-stack';

/** What each capability ships (its manifest), as the control plane wires it. */
export interface Capabilities {
  readonly forecast?: {
    /** Every forecast function spec, the ingest one included. */
    readonly functions: readonly FunctionSpec[];
    readonly stateMachines: readonly StateMachineSpec[];
    /** Id of the signal-ingest function (wired by SignalsIngest, not the Forecaster). */
    readonly ingestSignalId: string;
    /** @default the only state machine */
    readonly scheduleTarget?: string;
    /** Id of the dashboard's forecast widget function. @default no widget */
    readonly widgetId?: string;
  };
  readonly migration?: {
    readonly functions: readonly FunctionSpec[];
    readonly stateMachines: readonly StateMachineSpec[];
    readonly migrationId: string;
    readonly returnId: string;
    readonly contentionPredicted: StartRule;
    readonly contentionCleared?: StartRule;
  };
  readonly prewarm?: {
    readonly function: FunctionSpec;
  };
  readonly builds?: {
    readonly functions: readonly FunctionSpec[];
    readonly brokerId: string;
    readonly feedbackId: string;
    /** Built only when `managed.buildProjects` names projects it may start. */
    readonly starterId?: string;
    /** The CodePipeline invoke action; built only when `managed.buildProjects` names projects. */
    readonly pipelineActionId?: string;
  };
  /** The lifecycle state machine, and a rule per lifecycle rule of the registered workloads. */
  readonly lifecycle?: {
    readonly functions: readonly FunctionSpec[];
    readonly stateMachines: readonly StateMachineSpec[];
    readonly lifecycleId: string;
  };
  /** Deploy-time branching; built only with the migration capability, whose tasks it shares. */
  readonly pipeline?: {
    readonly functions: readonly FunctionSpec[];
    readonly stateMachines: readonly StateMachineSpec[];
    readonly stateMachineId: string;
    readonly stageHistory: FunctionSpec;
  };
  /** Built only with a standby region and at least one registered hosted zone. */
  readonly failover?: {
    readonly functions: readonly FunctionSpec[];
    readonly stateMachines: readonly StateMachineSpec[];
    readonly failoverId: string;
    readonly failbackId: string;
    /** The regional detector that starts them. */
    readonly detector?: FunctionSpec;
  };
}

export interface ControlPlaneStackProps extends StackProps {
  readonly config: ShadowscaleConfig;
  /** `primary` owns the tables (with the standby replica); `standby` uses the replicas. */
  readonly placement: 'primary' | 'standby';
  readonly capabilities: Capabilities;
  /** @default the defaults of ShadowscaleMetricNames */
  readonly metricNames?: ShadowscaleMetricNames;
  /** Registered workload definitions (their lifecycle rules are deployed). @default none */
  readonly workloads?: readonly Workload[];
}

/**
 * One region's Shadowscale: tables (or their replicas), the event bus, every capability and the
 * monitoring. The standby deploys the same control plane with the forecast schedule disabled,
 * so only one forecaster writes the global tables until a failover moves it.
 */
export class ControlPlaneStack extends Stack {
  public readonly tables: Tables;
  public readonly eventBus: events.EventBus;
  public readonly monitoring: Monitoring;
  public readonly forecaster?: Forecaster;
  public readonly signals?: SignalsIngest;
  public readonly orchestrator?: ShadowPoolOrchestrator;
  public readonly prewarm?: Prewarm;
  public readonly buildBroker?: BuildBroker;
  public readonly pipelineBranch?: PipelineBranch;
  public readonly regionFailover?: RegionFailover;
  public readonly lifecycle?: Lifecycle;

  constructor(scope: Construct, id: string, props: ControlPlaneStackProps) {
    super(scope, id, props);
    const { config } = props;
    const primary = props.placement === 'primary';

    this.tables = new Tables(this, 'Tables', {
      prefix: config.tablePrefix,
      // A table no function is granted would be deployed and never used (the grant test in
      // test/infra holds grants to what the code calls).
      only: tablesUsedBy(capabilitySpecs(props.capabilities)),
      mode: primary ? 'create' : 'import',
      replicaRegions: primary && config.standbyRegion ? [config.standbyRegion] : [],
      removalPolicy: config.tableRemovalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      deletionProtection: config.tableDeletionProtection,
    });
    this.eventBus = new events.EventBus(this, 'Bus', { eventBusName: config.eventBusName });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      alarmEmail: config.alarmEmail,
      metricNames: props.metricNames,
    });

    const built = buildCapabilities(this, this.capabilityContext(props), props);
    this.signals = built.signals;
    this.forecaster = built.forecaster;
    this.orchestrator = built.orchestrator;
    this.pipelineBranch = built.pipelineBranch;
    this.prewarm = built.prewarm;
    this.buildBroker = built.buildBroker;
    this.regionFailover = built.regionFailover;
    this.lifecycle = built.lifecycle;
    this.monitoring.finish();
    this.addOutputs();
  }

  /** What every capability's construct is built with: the tables, bus, grants' scope, monitoring. */
  private capabilityContext(props: ControlPlaneStackProps): CapabilityContext {
    const { config } = props;
    return {
      tables: this.tables,
      eventBus: this.eventBus,
      permissionContext: {
        ...permissionContext(this, config, this.eventBus),
        lifecycleTargets: lifecycleTargets(props.workloads ?? []),
      },
      logRetention: config.logRetentionDays as logs.RetentionDays,
      monitoring: this.monitoring,
      substitutionValues: substitutionValues(this, config, this.tables, this.eventBus),
    };
  }

  /**
   * The bus, the alarm topic, the dashboard, every state machine's ARN and the directly invoked
   * build functions' ARNs, for the operator.
   */
  private addOutputs(): void {
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
    for (const workflow of [
      ...(this.forecaster?.workflows.values() ?? []),
      ...(this.orchestrator?.workflows.values() ?? []),
      ...(this.pipelineBranch ? [this.pipelineBranch.workflow] : []),
      ...(this.regionFailover?.workflows.values() ?? []),
      ...(this.lifecycle ? [this.lifecycle.workflow] : []),
    ])
      new CfnOutput(this, `${workflow.spec.id}StateMachineArn`, {
        value: workflow.stateMachine.stateMachineArn,
      });
    // The functions a pipeline or a workflow invokes directly (deployed only with build projects).
    if (this.buildBroker?.starter)
      new CfnOutput(this, 'BuildStarterFunctionArn', {
        value: this.buildBroker.starter.function.functionArn,
      });
    if (this.buildBroker?.pipelineAction)
      new CfnOutput(this, 'BuildPipelineActionFunctionArn', {
        value: this.buildBroker.pipelineAction.function.functionArn,
      });
    if (this.pipelineBranch) {
      // The principals an EKS cluster's access entries must name for deploy-time branching.
      new CfnOutput(this, 'PipelineBranchKubernetesRoleArns', {
        value: Fn.join(
          ',',
          this.pipelineBranch.kubernetesRoles.map((r) => r.roleArn),
        ),
      });
    }
  }
}

/** The constructs of the capabilities this region deploys; each absent when not deployed. */
interface BuiltCapabilities {
  signals?: SignalsIngest;
  forecaster?: Forecaster;
  orchestrator?: ShadowPoolOrchestrator;
  pipelineBranch?: PipelineBranch;
  prewarm?: Prewarm;
  buildBroker?: BuildBroker;
  regionFailover?: RegionFailover;
  lifecycle?: Lifecycle;
}

function buildCapabilities(
  stack: Stack,
  context: CapabilityContext,
  props: ControlPlaneStackProps,
): BuiltCapabilities {
  const { config, capabilities } = props;
  const primary = props.placement === 'primary';
  const built: BuiltCapabilities = {
    ...buildForecast(stack, context, capabilities, config, primary),
  };
  if (capabilities.migration)
    built.orchestrator = new ShadowPoolOrchestrator(stack, 'ShadowPool', {
      context,
      ...capabilities.migration,
    });
  if (capabilities.pipeline) {
    if (!built.orchestrator)
      throw new ValidationError(
        'pipeline capability: needs the migration capability (the state machine calls its traffic and health tasks)',
      );
    built.pipelineBranch = new PipelineBranch(stack, 'PipelineBranch', {
      context,
      ...capabilities.pipeline,
      sharedFunctions: built.orchestrator.functions,
    });
  }
  if (capabilities.prewarm)
    built.prewarm = new Prewarm(stack, 'Prewarm', { context, function: capabilities.prewarm.function });
  if (capabilities.builds) {
    built.buildBroker = new BuildBroker(stack, 'BuildBroker', {
      context,
      ...deployedBuildFunctions(capabilities.builds, config.managed.buildProjects ?? []),
    });
  }
  if (capabilities.failover && config.standbyRegion && config.managed.hostedZoneIds.length > 0)
    built.regionFailover = new RegionFailover(stack, 'RegionFailover', { context, ...capabilities.failover });
  if (capabilities.lifecycle)
    built.lifecycle = new Lifecycle(stack, 'Lifecycle', {
      context,
      ...capabilities.lifecycle,
      workloads: props.workloads ?? [],
      schedulesEnabled: primary,
    });
  return built;
}

/** The signal ingest and the forecaster (its schedule enabled in the primary region only). */
function buildForecast(
  stack: Stack,
  context: CapabilityContext,
  capabilities: Capabilities,
  config: ShadowscaleConfig,
  primary: boolean,
): Pick<BuiltCapabilities, 'signals' | 'forecaster'> {
  if (!capabilities.forecast) return {};
  const { ingestSignalId, functions, stateMachines, scheduleTarget, widgetId } = capabilities.forecast;
  const ingest = functions.find((f) => f.id === ingestSignalId);
  if (!ingest)
    throw new ValidationError(
      `forecast capability: ingest function ${ingestSignalId} is not in its manifest`,
    );
  return {
    signals: new SignalsIngest(stack, 'Signals', { context, function: ingest }),
    forecaster: new Forecaster(stack, 'Forecaster', {
      context,
      functions: functions.filter((f) => f.id !== ingestSignalId),
      stateMachines,
      scheduleTarget,
      ...(widgetId ? { widgetId } : {}),
      schedule: config.forecastSchedule,
      scheduleEnabled: primary,
    }),
  };
}

function permissionContext(
  stack: Stack,
  config: ShadowscaleConfig,
  eventBus: events.IEventBus,
): PermissionContext {
  // The demo workload is tagged shadowscale:managed=true, which the tag-scoped statements
  // already cover; when the operator scopes by ARN instead, add the demo's fixed names.
  const demoListener = `arn:${stack.partition}:elasticloadbalancing:${stack.region}:${stack.account}:listener/app/${DEMO_LOAD_BALANCER_NAME}/*`;
  const demo = config.demo;
  return {
    managed: config.managed,
    eventBus,
    extraListenerArns: demo && config.managed.listenerArns.length > 0 ? [demoListener] : [],
    extraEcsClusters: demo && config.managed.ecsClusters.length > 0 ? [DEMO_CLUSTER_NAME] : [],
    ...(config.standbyRegion ? { standbyRegion: config.standbyRegion } : {}),
  };
}

/** The values a state machine spec may ask for by name in `substitutions`. */
function substitutionValues(
  stack: Stack,
  config: ShadowscaleConfig,
  tables: Tables,
  eventBus: events.IEventBus,
): Record<string, string> {
  const values: Record<string, string> = {
    EventBusName: eventBus.eventBusName,
    EventBusArn: eventBus.eventBusArn,
    Region: stack.region,
    AccountId: stack.account,
    PrimaryRegion: config.primaryRegion,
  };
  if (config.standbyRegion) values.StandbyRegion = config.standbyRegion;
  for (const name of tables.deployed) {
    const pascal = name.charAt(0).toUpperCase() + name.slice(1);
    values[`${pascal}TableName`] = tables.table(name).tableName;
    values[`${pascal}TableArn`] = tables.table(name).tableArn;
  }
  return values;
}

/** Every function spec of every capability. */
export function capabilitySpecs(capabilities: Capabilities): FunctionSpec[] {
  return [
    ...(capabilities.forecast?.functions ?? []),
    ...(capabilities.migration?.functions ?? []),
    ...(capabilities.prewarm ? [capabilities.prewarm.function] : []),
    ...(capabilities.builds?.functions ?? []),
    ...(capabilities.pipeline
      ? [...capabilities.pipeline.functions, capabilities.pipeline.stageHistory]
      : []),
    ...(capabilities.failover?.functions ?? []),
    ...(capabilities.failover?.detector ? [capabilities.failover.detector] : []),
    ...(capabilities.lifecycle?.functions ?? []),
  ];
}

/**
 * The build functions deployed: the starter and the pipeline action only when
 * `managed.buildProjects` names projects, since with none to start they would only hold a
 * function that fails.
 */
export function deployedBuildFunctions(
  builds: NonNullable<Capabilities['builds']>,
  buildProjects: readonly string[],
): NonNullable<Capabilities['builds']> {
  const { starterId, pipelineActionId, ...always } = builds;
  const canStart = buildProjects.length > 0;
  return {
    ...always,
    ...(canStart && starterId !== undefined ? { starterId } : {}),
    ...(canStart && pipelineActionId !== undefined ? { pipelineActionId } : {}),
  };
}
