import * as fs from 'node:fs';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CAPABILITIES } from '../../infra/capabilities';
import { specViolations, type TemplateJson } from './resource-spec';
import { type Synthesized, synthesize } from './synth';

let synth: Synthesized;

beforeAll(() => {
  // Prepare: every stack the app can deploy (primary, standby, demo), as `cdk synth` builds them.
  synth = synthesize(
    {
      'shadowscale:primaryRegion': 'us-east-1',
      'shadowscale:standbyRegion': 'eu-west-1',
      'shadowscale:demo': true,
    },
    CAPABILITIES,
  );
}, 300_000);

afterAll(() => {
  if (synth) fs.rmSync(synth.outdir, { recursive: true, force: true });
});

const json = (template: Template | undefined): TemplateJson => {
  if (!template) throw new Error('stack was not synthesized');
  return template.toJSON() as TemplateJson;
};

describe('synthesized templates against the CloudFormation resource specification', () => {
  it.each(['primary', 'standby', 'demo'] as const)(
    'the %s stack uses only resource types and properties that exist, with every required one',
    (stack) => {
      const template = json(synth.templates[stack]);
      expect(Object.keys(template.Resources ?? {}).length).toBeGreaterThan(0);
      expect(specViolations(template)).toEqual([]);
    },
  );
});

describe('the specification check itself', () => {
  const check = (build: (stack: Stack) => void) => {
    const app = new App();
    const stack = new Stack(app, 'Probe');
    build(stack);
    return specViolations(Template.fromStack(stack).toJSON() as TemplateJson);
  };

  it('passes a plain L2 resource', () => {
    expect(check((stack) => new sqs.Queue(stack, 'Queue'))).toEqual([]);
  });

  it.each([
    [
      'a misspelt property set through an escape hatch',
      (stack: Stack) => {
        const queue = new sqs.Queue(stack, 'Queue');
        (queue.node.defaultChild as sqs.CfnQueue).addPropertyOverride('VisibilityTimout', 30);
      },
      /Queue.*unknown property VisibilityTimout/,
    ],
    [
      'a resource type that does not exist',
      (stack: Stack) => new CfnResource(stack, 'Typo', { type: 'AWS::SQS::Queu', properties: {} }),
      /Typo \(AWS::SQS::Queu\): no such resource type/,
    ],
    [
      'a missing required property',
      (stack: Stack) => new CfnResource(stack, 'Topic', { type: 'AWS::SNS::Subscription', properties: {} }),
      /required property (Protocol|TopicArn) is missing/,
    ],
    [
      'a misspelt property of a typed structure',
      (stack: Stack) =>
        new CfnResource(stack, 'Rule', {
          type: 'AWS::Events::Rule',
          properties: {
            ScheduleExpression: 'rate(5 minutes)',
            Targets: [{ Id: 't', Arn: 'arn', RetryPolicie: {} }],
          },
        }),
      /Targets\[0\]: unknown property RetryPolicie/,
    ],
  ])('reports %s', (_what, build, pattern) => {
    const problems = check(build);
    expect(problems.join('\n')).toMatch(pattern);
  });
});
