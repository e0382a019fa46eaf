import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import type { FunctionSpec } from '../../functions/manifest';
import { ValidationError } from '../../shared/errors';
import { buildFunctions, type CapabilityContext, pick } from './capability';
import type { ProjectFunction } from './project-function';
import { functionTarget } from './rule-target';

export interface BuildBrokerProps {
  readonly context: CapabilityContext;
  /** The broker and feedback handlers (functions/build-broker/manifest.ts). */
  readonly functions: readonly FunctionSpec[];
  readonly brokerId: string;
  readonly feedbackId: string;
  /**
   * The function that starts sized CodeBuild builds when invoked directly. It may start only the
   * projects in `shadowscale:managed.buildProjects` (`builds:start`).
   * @default no starter
   */
  readonly starterId?: string;
  /**
   * The CodePipeline Lambda invoke action that starts the stage's build on the broker's size and
   * reports the job until the build ends. It may start and read only the projects in
   * `shadowscale:managed.buildProjects` (`builds:start`, `builds:read-status`); CodePipeline
   * invokes it asynchronously, so failed invocations land in its dead-letter queue.
   * @default no pipeline action
   */
  readonly pipelineActionId?: string;
  /**
   * The bus CodePipeline and CodeBuild publish their state changes on.
   * @default the account's default event bus
   */
  readonly sourceBus?: events.IEventBus;
}

/**
 * Build resources: CodePipeline stage starts and CodeBuild build starts go to the broker, which
 * records (and returns, when invoked directly by a workflow) the allocation; stage ends, build
 * completions and build phase changes go to the feedback function, which updates the stage's
 * profile. AWS service events arrive on the default bus, not on Shadowscale's own.
 */
export class BuildBroker extends Construct {
  public readonly broker: ProjectFunction;
  public readonly feedback: ProjectFunction;
  /** Invoked directly (grant callers `lambda:InvokeFunction` on it); absent without `starterId`. */
  public readonly starter?: ProjectFunction;
  /**
   * The function a pipeline's `LambdaInvokeAction` names (the pipeline's role needs
   * `lambda:InvokeFunction` on it); absent without `pipelineActionId`.
   */
  public readonly pipelineAction?: ProjectFunction;
  public readonly startRule: events.Rule;
  public readonly endRule: events.Rule;

  constructor(scope: Construct, id: string, props: BuildBrokerProps) {
    super(scope, id);
    const ids = [
      props.brokerId,
      props.feedbackId,
      ...(props.starterId === undefined ? [] : [props.starterId]),
      ...(props.pipelineActionId === undefined ? [] : [props.pipelineActionId]),
    ];
    if (new Set(ids).size !== ids.length)
      throw new ValidationError(
        `BuildBroker: brokerId, feedbackId, starterId and pipelineActionId must differ (got ${JSON.stringify(ids)})`,
      );
    // Only the named functions are built: without a starter or pipeline action id no function
    // holds codebuild:StartBuild.
    const specs = props.functions.filter((f) => ids.includes(f.id));
    const functions = buildFunctions(this, specs, props.context, {
      // Every one but the starter is invoked asynchronously (EventBridge, CodePipeline).
      asyncIds: ids.filter((id) => id !== props.starterId),
    });
    this.broker = pick(functions, props.brokerId, 'function');
    this.feedback = pick(functions, props.feedbackId, 'function');
    if (props.starterId !== undefined) this.starter = pick(functions, props.starterId, 'function');
    if (props.pipelineActionId !== undefined)
      this.pipelineAction = pick(functions, props.pipelineActionId, 'function');
    const bus = props.sourceBus ?? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');

    this.startRule = new events.Rule(this, 'StartRule', {
      description: 'Shadowscale: allocate capacity when a pipeline stage or build starts',
      eventBus: bus,
      eventPattern: {
        source: events.Match.anyOf('aws.codepipeline', 'aws.codebuild'),
        detailType: ['CodePipeline Stage Execution State Change', 'CodeBuild Build State Change'],
        detail: { $or: [{ state: ['STARTED', 'RESUMED'] }, { 'build-status': ['IN_PROGRESS'] }] },
      },
    });
    this.startRule.addTarget(
      functionTarget(this, this.broker.function, {
        id: 'StartDelivery',
        purpose: 'stage/build start events EventBridge could not deliver to the build broker',
        monitoring: props.context.monitoring,
        // An allocation for a stage that started long ago is useless.
        maxEventAge: Duration.minutes(10),
      }),
    );

    this.endRule = new events.Rule(this, 'EndRule', {
      description: 'Shadowscale: learn from every finished pipeline stage and build, adjust on build phases',
      eventBus: bus,
      eventPattern: {
        source: events.Match.anyOf('aws.codepipeline', 'aws.codebuild'),
        detailType: [
          'CodePipeline Stage Execution State Change',
          'CodeBuild Build State Change',
          'CodeBuild Build Phase Change',
        ],
        detail: {
          $or: [
            { state: ['SUCCEEDED', 'FAILED'] },
            { 'build-status': ['SUCCEEDED', 'FAILED'] },
            { 'completed-phase': [{ exists: true }] },
          ],
        },
      },
    });
    this.endRule.addTarget(
      functionTarget(this, this.feedback.function, {
        id: 'EndDelivery',
        purpose: 'stage/build end events EventBridge could not deliver to the build feedback function',
        monitoring: props.context.monitoring,
      }),
    );
  }
}
