import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Workflow } from '../../infra/constructs/workflow';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shadowscale-dmap-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const DISTRIBUTED = {
  StartAt: 'Batches',
  TimeoutSeconds: 60,
  States: {
    Batches: {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: 'One',
        States: { One: { Type: 'Pass', End: true } },
      },
      End: true,
    },
  },
};

const ARN = (resource: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:states:eu-west-1:123456789012:${resource}`]],
});

describe('Workflow with a Distributed Map', () => {
  it('may start, describe, stop and redrive the child executions of its own state machine', () => {
    // Prepare
    const file = path.join(dir, 'dmap.asl.json');
    fs.writeFileSync(file, JSON.stringify(DISTRIBUTED));
    const stack = new Stack(new App(), 'W', { env: { account: '123456789012', region: 'eu-west-1' } });

    // Act
    new Workflow(stack, 'Fanout', {
      spec: { id: 'Fanout', file, functions: [] },
      functions: new Map(),
      logRetention: logs.RetentionDays.ONE_WEEK,
    });

    // Assess: the patterns of the Step Functions guide and CDK's DistributedMap.
    const statements = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const all = Object.values(statements).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument
          .Statement,
    );
    expect(all).toEqual(
      expect.arrayContaining([
        {
          Sid: 'DistributedMapChildren',
          Effect: 'Allow',
          Action: ['states:DescribeExecution', 'states:StopExecution'],
          Resource: [ARN('execution:shadowscale-fanout:*'), ARN('execution:shadowscale-fanout/*')],
        },
        {
          Sid: 'DistributedMapRedrive',
          Effect: 'Allow',
          Action: 'states:RedriveExecution',
          Resource: ARN('execution:shadowscale-fanout/*:*'),
        },
        {
          Sid: 'DistributedMapStart',
          Effect: 'Allow',
          Action: 'states:StartExecution',
          Resource: ARN('stateMachine:shadowscale-fanout'),
        },
      ]),
    );
  });
});
