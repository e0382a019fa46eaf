import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Monitoring } from '../../infra/constructs/monitoring';

describe('Monitoring alarm topic', () => {
  it('lets CloudWatch alarms of this account and region publish, and nothing else', () => {
    // Prepare: the construct alone in a stack with a concrete environment.
    const stack = new Stack(new App(), 'M', { env: { account: '123456789012', region: 'eu-west-1' } });
    const monitoring = new Monitoring(stack, 'Monitoring');

    // Act
    const template = Template.fromStack(stack);

    // Assess: an allow for the service principal, tied to this account's alarms (no confused deputy).
    const topic = stack.resolve(monitoring.topic.topicArn) as unknown;
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'CloudWatchAlarmsPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topic,
            Condition: {
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:eu-west-1:123456789012:alarm:*'],
                  ],
                },
              },
              StringEquals: { 'aws:SourceAccount': '123456789012' },
            },
          },
        ]),
      },
    });
    // The TLS-only deny stays beside it.
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});
