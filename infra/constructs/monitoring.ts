import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { HORIZON_BUCKETS } from '../../shared/profile/feedback';
import type { DeadLetterQueue } from './dead-letter-queue';
import { METRICS_NAMESPACE } from './permissions';
import type { ProjectFunction } from './project-function';
import type { Workflow } from './workflow';

/**
 * Names of the metrics Shadowscale functions publish (Powertools Metrics, namespace `Shadowscale`).
 * Every one is fleet-level (no `workloadId` dimension), so the number of custom metrics does not
 * grow with the fleet; per-workload forecasts and decisions are read from the predictions table.
 */
export interface ShadowscaleMetricNames {
  /**
   * Counts of each forecaster run (functions/forecast/index.ts).
   * @default ['WorkloadsForecast', 'WorkloadsOk', 'WorkloadsSkipped', 'WorkloadsContended', 'WorkloadsFailed', 'WorkloadsDegraded', 'SeriesForecast', 'EventsPublished', 'EventsFailed']
   */
  readonly forecasterRuns?: readonly string[];
  /**
   * Fleet-wide contention and anomaly of each forecaster run.
   * @default ['ContentionScoreMax', 'ContentionScoreP95', 'AnomalyScoreMax']
   */
  readonly forecasterFleet?: readonly string[];
  /** Wall time of each forecaster run (milliseconds). @default 'RunDuration' */
  readonly forecasterDuration?: string;
  /** Forecaster counts that raise an alarm when above 0. @default ['WorkloadsFailed', 'EventsFailed'] */
  readonly forecasterFailures?: readonly string[];
  /**
   * Actions taken (pre-warm, signals, registry size).
   * @default ['PrewarmScaleOut', 'PrewarmHold', 'PrewarmLimitedByMax', 'SignalsStored', 'RegisteredWorkloads']
   */
  readonly actions?: readonly string[];
}

const DEFAULT_NAMES: Required<ShadowscaleMetricNames> = {
  forecasterRuns: [
    'WorkloadsForecast',
    'WorkloadsOk',
    'WorkloadsSkipped',
    'WorkloadsContended',
    'WorkloadsFailed',
    'WorkloadsDegraded',
    'SeriesForecast',
    'EventsPublished',
    'EventsFailed',
  ],
  forecasterFleet: ['ContentionScoreMax', 'ContentionScoreP95', 'AnomalyScoreMax'],
  forecasterDuration: 'RunDuration',
  forecasterFailures: ['WorkloadsFailed', 'EventsFailed'],
  actions: ['PrewarmScaleOut', 'PrewarmHold', 'PrewarmLimitedByMax', 'SignalsStored', 'RegisteredWorkloads'],
};

export interface MonitoringProps {
  /** E-mail subscribed to the alarm topic (the address must confirm). @default no subscription */
  readonly alarmEmail?: string;
  /** @default ShadowscaleMetricNames defaults */
  readonly metricNames?: ShadowscaleMetricNames;
  /** @default shadowscale-<region> */
  readonly dashboardName?: string;
}

const FIVE_MINUTES = Duration.minutes(5);

/** Key administration by the account's IAM principals (a key policy's `*` resource is the key itself). */
const KEY_ADMIN_ACTIONS = [
  'kms:DescribeKey',
  'kms:GetKeyPolicy',
  'kms:PutKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:EnableKeyRotation',
  'kms:ListResourceTags',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateKeyDescription',
  'kms:EnableKey',
  'kms:DisableKey',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

/** The alarm topic's key: administered by the account, usable by CloudWatch alarms of this account. */
function alarmKey(scope: Construct): kms.Key {
  const account = Stack.of(scope).account;
  const key = new kms.Key(scope, 'AlarmTopicKey', {
    description: 'Shadowscale alarm topic encryption (CloudWatch alarms may use it)',
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.DESTROY,
    // Instead of the default `kms:*` for the account: the administration actions, listed.
    policy: new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'AccountAdministers',
          principals: [new iam.AccountRootPrincipal()],
          actions: KEY_ADMIN_ACTIONS,
          resources: ['*'],
        }),
      ],
    }),
  });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': account } },
    }),
  );
  return key;
}

/**
 * What an operator watches: one SNS topic for every alarm (encrypted with a customer key that
 * CloudWatch may use: an AWS-managed SNS key cannot be granted to CloudWatch alarms), a
 * dashboard (fleet contention, anomaly and forecaster runs from the `Shadowscale` namespace,
 * then operations: executions, function errors, DLQ depth), and alarms on failed / timed-out /
 * aborted executions, DLQ depth and forecaster errors. Capability constructs register what they
 * build with `watchWorkflow`, `watchQueue` and `watchFunction`.
 */
export class Monitoring extends Construct {
  public readonly topic: sns.Topic;
  public readonly key: kms.Key;
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly alarms: cloudwatch.Alarm[] = [];
  public readonly metricNames: Required<ShadowscaleMetricNames>;
  private readonly action: actions.SnsAction;
  private readonly executionWidgets: cloudwatch.IWidget[] = [];
  private readonly functionWidgets: cloudwatch.IWidget[] = [];
  private readonly queueMetrics: cloudwatch.IMetric[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps = {}) {
    super(scope, id);
    const names = { ...DEFAULT_NAMES, ...props.metricNames };
    this.metricNames = names;
    this.key = alarmKey(this);
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'Shadowscale alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
    // The topic policy `enforceSSL` creates holds only the deny-non-TLS statement; without an
    // allow for the CloudWatch service principal every alarm action fails with "not authorized
    // to perform SNS:Publish". Limited to alarms of this account and region (confused deputy).
    const stack = Stack.of(this);
    const account = stack.account;
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${account}:alarm:*`,
          },
          StringEquals: { 'aws:SourceAccount': account },
        },
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    this.action = new actions.SnsAction(this.topic);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? `shadowscale-${Stack.of(this).region}`,
      defaultInterval: Duration.days(2),
    });
    this.addForecastWidgets(names);
  }

  /** The forecast rows: fleet aggregates, run counts and actions. */
  private addForecastWidgets(names: Required<ShadowscaleMetricNames>): void {
    const search = (metric: string, stat: string, label: string) =>
      new cloudwatch.MathExpression({
        // Any dimension set (Powertools adds `service`), so a renamed service still graphs.
        expression: `SEARCH('Namespace="${METRICS_NAMESPACE}" MetricName="${metric}"', '${stat}', 300)`,
        usingMetrics: {},
        label,
        period: FIVE_MINUTES,
      });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# Shadowscale\nForecasts and contention from the \`${METRICS_NAMESPACE}\` namespace, then operations.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Fleet contention and anomaly (all workloads)',
        left: names.forecasterFleet.map((metric) => search(metric, 'Maximum', metric)),
        width: 12,
        height: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'Forecaster run time (ms)',
        left: [search(names.forecasterDuration, 'Maximum', names.forecasterDuration)],
        width: 12,
        height: 6,
      }),
    );
    this.addAccuracyWidgets(search);
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Forecaster runs',
        left: names.forecasterRuns.map((metric) => search(metric, 'Sum', metric)),
        width: 12,
        height: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'Pre-warm, signals, registry',
        left: names.actions.map((metric) => search(metric, 'Sum', metric)),
        width: 12,
        height: 6,
      }),
    );
  }

  /**
   * The feedback loop, fleet-wide: mean running coverage of the stored 80 % / 95 % quantiles and
   * error against what the intervals promised, per horizon, over the series each run scored; and
   * how many forecasts were scored and early refits asked for. Run-level aggregates only (per
   * workload: `shadowscale workloads show`).
   */
  private addAccuracyWidgets(
    search: (metric: string, stat: string, label: string) => cloudwatch.IMetric,
  ): void {
    const horizons = HORIZON_BUCKETS.map((b) => b.name);
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Forecast coverage (fleet mean per horizon; nominal 0.80 and 0.95)',
        left: horizons.flatMap((h) => [
          search(`ForecastCoverage80_${h}`, 'Average', `80% ${h}`),
          search(`ForecastCoverage95_${h}`, 'Average', `95% ${h}`),
        ]),
        leftYAxis: { min: 0, max: 1 },
        leftAnnotations: [{ value: 0.8 }, { value: 0.95 }],
        width: 12,
        height: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'Forecast error vs promised (fleet mean per horizon), forecasts scored, early refits',
        left: horizons.map((h) => search(`ForecastErrorRatio_${h}`, 'Average', `error ratio ${h}`)),
        right: [
          search('ForecastsScored', 'Sum', 'ForecastsScored'),
          search('FeedbackRefits', 'Sum', 'FeedbackRefits'),
        ],
        width: 12,
        height: 6,
      }),
    );
  }

  /** Alarms on failed, timed-out and aborted executions, and an executions graph. */
  public watchWorkflow(workflow: Workflow): void {
    const sm = workflow.stateMachine;
    const id = workflow.spec.id;
    this.alarm(
      `${id}Failed`,
      sm.metricFailed({ period: FIVE_MINUTES, statistic: 'Sum' }),
      `${id}: an execution failed`,
    );
    this.alarm(
      `${id}TimedOut`,
      sm.metricTimedOut({ period: FIVE_MINUTES, statistic: 'Sum' }),
      `${id}: an execution timed out`,
    );
    this.alarm(
      `${id}Aborted`,
      sm.metricAborted({ period: FIVE_MINUTES, statistic: 'Sum' }),
      `${id}: an execution was aborted`,
    );
    this.executionWidgets.push(
      new cloudwatch.GraphWidget({
        title: `${id} executions`,
        left: [
          sm.metricStarted({ period: FIVE_MINUTES }),
          sm.metricSucceeded({ period: FIVE_MINUTES }),
          sm.metricFailed({ period: FIVE_MINUTES }),
          sm.metricTimedOut({ period: FIVE_MINUTES }),
          sm.metricAborted({ period: FIVE_MINUTES }),
        ],
        width: 8,
        height: 6,
      }),
    );
  }

  /** An alarm as soon as a message is waiting in a dead-letter queue. */
  public watchQueue(id: string, dlq: DeadLetterQueue): void {
    const depth = dlq.queue.metricApproximateNumberOfMessagesVisible({
      period: FIVE_MINUTES,
      statistic: 'Maximum',
    });
    this.alarm(`${id}DlqDepth`, depth, `${id}: messages in the dead-letter queue (${dlq.purpose})`);
    this.queueMetrics.push(depth.with({ label: id }));
  }

  /**
   * A graph of invocations, errors and throttles; with `alarmOnErrors` (the forecaster) an alarm
   * on any error.
   */
  public watchFunction(fn: ProjectFunction, options: { alarmOnErrors?: boolean } = {}): void {
    const f = fn.function;
    const id = fn.spec.id;
    if (options.alarmOnErrors)
      this.alarm(
        `${id}Errors`,
        f.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        `${id}: the function failed`,
      );
    this.functionWidgets.push(
      new cloudwatch.GraphWidget({
        title: `${id} function`,
        left: [
          f.metricInvocations({ period: FIVE_MINUTES }),
          f.metricErrors({ period: FIVE_MINUTES }),
          f.metricThrottles({ period: FIVE_MINUTES }),
        ],
        right: [f.metricDuration({ period: FIVE_MINUTES, statistic: 'p95' })],
        width: 8,
        height: 6,
      }),
    );
  }

  /**
   * Alarms when the forecaster reports failures in its own counts (a run can succeed as a Lambda
   * invocation and still fail workloads or lose events). A Metrics Insights query sums the
   * metric over every dimension set, so the alarm does not depend on the service name.
   */
  public watchForecasterMetrics(): void {
    for (const metric of this.metricNames.forecasterFailures) {
      this.alarm(
        `Forecaster${metric}`,
        new cloudwatch.MathExpression({
          expression: `SELECT SUM(${metric}) FROM ${METRICS_NAMESPACE}`,
          usingMetrics: {},
          label: metric,
          period: FIVE_MINUTES,
        }),
        `forecaster: ${metric} above 0 (see the forecast function's log for the workloads)`,
      );
    }
  }

  /**
   * The regional failover state: an alarm while any workload's home region is degraded (the
   * detector's observations), and a widget of that state with the failover/failback runs it
   * started. Metrics Insights sums over every dimension set, as for the forecaster.
   */
  public watchRegionalDetector(): void {
    const insights = (metric: string, fn: 'MAX' | 'SUM') =>
      new cloudwatch.MathExpression({
        expression: `SELECT ${fn}(${metric}) FROM ${METRICS_NAMESPACE}`,
        usingMetrics: {},
        label: metric,
        period: Duration.minutes(1),
      });
    this.alarm(
      'HomeRegionDegraded',
      insights('HomeRegionDegraded', 'MAX'),
      'regional detector: a workload’s home region is degraded (see the detector log; a failover starts unless the standby is degraded too)',
    );
    this.executionWidgets.push(
      new cloudwatch.GraphWidget({
        title: 'Regional failover state',
        left: [insights('HomeRegionDegraded', 'MAX')],
        right: [insights('FailoverStarted', 'SUM'), insights('FailbackStarted', 'SUM')],
        width: 8,
        height: 6,
      }),
    );
  }

  /**
   * One workload's forecasts, as the forecast widget function renders them (stored forecasts and
   * CloudWatch actuals, decision, accuracy): a custom widget with a workload picker, since the
   * metrics the forecaster publishes are fleet-level only. CloudWatch invokes the function with
   * the viewer's credentials (they need lambda:InvokeFunction on it).
   */
  public addWorkloadForecast(fn: lambda.IFunction): void {
    this.dashboard.addWidgets(
      new cloudwatch.CustomWidget({
        title: 'Workload forecast (type a workload id)',
        functionArn: fn.functionArn,
        width: 24,
        height: 12,
      }),
    );
  }

  /** Add the operations rows; call once after every capability is registered. */
  public finish(): void {
    this.dashboard.addWidgets(new cloudwatch.TextWidget({ markdown: '## Operations', width: 24, height: 1 }));
    if (this.executionWidgets.length > 0) this.dashboard.addWidgets(...this.executionWidgets);
    if (this.functionWidgets.length > 0) this.dashboard.addWidgets(...this.functionWidgets);
    if (this.queueMetrics.length > 0)
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'Dead-letter queue depth',
          left: this.queueMetrics,
          width: 24,
          height: 6,
        }),
      );
    if (this.alarms.length > 0)
      this.dashboard.addWidgets(
        new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }),
      );
  }

  private alarm(id: string, metric: cloudwatch.IMetric, description: string): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No executions, no messages, no invocations: nothing is wrong.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }
}
