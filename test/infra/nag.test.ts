import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DeadLetterQueue } from '../../infra/constructs/dead-letter-queue';
import { acknowledgeWildcardResources, nagResourceName } from '../../infra/constructs/nag';

/** Findings of one synthesis with AwsSolutionsChecks (the same mechanism the app suites use). */
function findings(build: (stack: Stack) => void): string[] {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'shadowscale-nag-'));
  try {
    const app = new App({ outdir });
    build(new Stack(app, 'Nag', { env: { account: '123456789012', region: 'eu-west-1' } }));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    try {
      app.synth();
      return [];
    } catch {
      const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
        pluginReports: { violations: { ruleName: string }[] }[];
      };
      return report.pluginReports.flatMap((r) => r.violations.map((v) => v.ruleName));
    }
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

describe('cdk-nag wiring (negative controls for the app suites)', () => {
  it('reports a plain queue (so an empty report elsewhere means something)', () => {
    expect(findings((stack) => new sqs.Queue(stack, 'Plain'))).toEqual(
      expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']),
    );
  });

  it('accepts the DeadLetterQueue construct: TLS enforced, SQS3 acknowledged as a DLQ', () => {
    expect(findings((stack) => new DeadLetterQueue(stack, 'Dlq', { purpose: 'test' }))).toEqual([]);
  });

  it('acknowledges a wildcard resource under the exact name cdk-nag gives it, and nothing else', () => {
    const build = (acknowledgeIt: boolean) => (stack: Stack) => {
      const role = new iam.Role(stack, 'Role', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      });
      const resource = `arn:${stack.partition}:ecs:${stack.region}:${stack.account}:service/*/*`;
      role.addToPolicy(new iam.PolicyStatement({ actions: ['ecs:UpdateService'], resources: [resource] }));
      role.addToPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
      if (acknowledgeIt)
        acknowledgeWildcardResources(role, [resource], 'test: ecs:UpdateService on any service');
    };
    const any = 'AwsSolutions-IAM5[Resource::*]';
    const services =
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:eu-west-1:123456789012:service/*/*]';
    expect(findings(build(false)).sort()).toEqual([any, services].sort());
    // The `Resource::*` finding stays: acknowledging one wildcard does not hide another.
    expect(findings(build(true))).toEqual([any]);
  });

  it.each([
    ['*', '*'],
    ['arn:aws:ecs:eu-west-1:123456789012:service/*/*', 'arn:aws:ecs:eu-west-1:123456789012:service/*/*'],
  ])('flattens %s to %s', (resource, expected) => {
    const stack = new Stack(new App(), 'Names', { env: { account: '123456789012', region: 'eu-west-1' } });
    expect(nagResourceName(stack, resource)).toBe(expected);
  });

  it('flattens tokens the way cdk-nag prints them', () => {
    const stack = new Stack(new App(), 'Tokens', { env: { account: '123456789012', region: 'eu-west-1' } });
    expect(nagResourceName(stack, `arn:${stack.partition}:states:${stack.region}:x`)).toBe(
      'arn:<AWS::Partition>:states:eu-west-1:x',
    );
  });
});
