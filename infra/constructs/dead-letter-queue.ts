import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from './nag';

export interface DeadLetterQueueProps {
  /** What lands here, for the nag acknowledgement and the queue's readers. */
  readonly purpose: string;
  /** How long a failed message is kept. @default Duration.days(14) (the SQS maximum) */
  readonly retention?: Duration;
}

/**
 * A dead-letter queue: SSE-SQS encryption (EventBridge and Lambda can write to it without a key
 * policy), TLS required, 14 days retention. The monitoring construct alarms on its depth.
 */
export class DeadLetterQueue extends Construct {
  public readonly queue: sqs.Queue;
  public readonly purpose: string;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.purpose = props.purpose;
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.retention ?? Duration.days(14),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.queue,
      'AwsSolutions-SQS3',
      `this queue IS a dead-letter queue (${props.purpose}); a DLQ of a DLQ would only move the problem`,
    );
  }
}
