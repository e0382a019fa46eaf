import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { BUILD_BROKER_FUNCTIONS } from '../../functions/build-broker/manifest';
import { FORECAST_FUNCTIONS, FORECAST_STATE_MACHINES } from '../../functions/forecast/manifest';
import { MIGRATION_FUNCTIONS, MIGRATION_STATE_MACHINES } from '../../functions/migration/manifest';
import { PREWARM_FUNCTIONS } from '../../functions/prewarm/manifest';
import { CAPABILITIES } from '../../infra/capabilities';
import { REPO_ROOT } from '../../infra/paths';
import { CONTENTION_PREDICTED_RULE } from '../../shared/migration/transformer';
import { allowStatements, isRead } from './iam-scan';
import { type Synthesized, synthesize } from './synth';

// asl-validator ships no type declarations.
const aslValidator: (
  definition: unknown,
  options?: { checkArn?: boolean; checkPaths?: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string } = require('asl-validator');

type Resource = { Type: string; Properties: Record<string, unknown> };
const resources = (template: Template, type: string) =>
  template.findResources(type) as Record<string, Resource>;

// With build projects registered, every build-broker function is deployed (starter and pipeline action too).
const FUNCTIONS = [
  ...FORECAST_FUNCTIONS,
  ...MIGRATION_FUNCTIONS,
  ...PREWARM_FUNCTIONS,
  ...BUILD_BROKER_FUNCTIONS,
];
const MACHINES = [...FORECAST_STATE_MACHINES, ...MIGRATION_STATE_MACHINES];
const kebab = (id: string) => id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

const REGISTERED = {
  listenerArns: [
    'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/checkout/0123456789abcdef/*',
  ],
  ecsClusters: ['prod-apps'],
  eksClusters: ['prod-k8s'],
  passRoleArns: ['arn:aws:iam::123456789012:role/checkout-task'],
  hostedZoneIds: [],
  buildProjects: ['checkout-tests'],
};

let synth: Synthesized;
let primary: Template;

beforeAll(() => {
  // Prepare: the app as `cdk synth` builds it from the real manifests, with registered resources.
  synth = synthesize(
    {
      'shadowscale:primaryRegion': 'us-east-1',
      'shadowscale:standbyRegion': 'eu-west-1',
      'shadowscale:demo': true,
      'shadowscale:managed': REGISTERED,
    },
    CAPABILITIES,
  );
  primary = synth.templates.primary;
}, 300_000);

afterAll(() => {
  if (synth) fs.rmSync(synth.outdir, { recursive: true, force: true });
});

function functionOf(template: Template, specId: string): [string, Resource] {
  const found = Object.entries(resources(template, 'AWS::Lambda::Function')).find(
    ([, r]) =>
      (r.Properties.Environment as { Variables: Record<string, unknown> }).Variables
        .POWERTOOLS_SERVICE_NAME === `shadowscale-${kebab(specId)}`,
  );
  if (!found) throw new Error(`no function for spec ${specId}`);
  return found;
}

describe('the app from the real manifests', () => {
  it('passes cdk-nag AwsSolutionsChecks on every stack with no unacknowledged finding', () => {
    expect(synth.nagFindings).toEqual([]);
    expect(synth.templates.standby).toBeDefined();
    expect(synth.templates.demo).toBeDefined();
  });

  it.each(FUNCTIONS.map((f) => [f.id, f] as const))(
    'deploys %s on nodejs24.x / arm64 with its handler and limits',
    (id, spec) => {
      const [, fn] = functionOf(primary, id);
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Handler: `index.${spec.handler ?? 'handler'}`,
        Timeout: spec.timeoutSeconds,
        MemorySize: spec.memoryMb,
      });
    },
  );

  it('bundles every function as ESM that Node 24 loads and that exports its handler', () => {
    const bundles = new Map<string, string[]>();
    for (const spec of FUNCTIONS) {
      const [, fn] = functionOf(primary, spec.id);
      const key = (fn.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
      bundles.set(key, [...(bundles.get(key) ?? []), spec.handler ?? 'handler']);
    }
    // The nodejs24.x runtime provides the AWS SDK v3 (left out of the bundles); nothing else.
    const runtimeModules = path.join(synth.outdir, 'node_modules');
    fs.mkdirSync(runtimeModules, { recursive: true });
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules', '@aws-sdk'), path.join(runtimeModules, '@aws-sdk'));
    for (const [key, handlers] of bundles) {
      const file = path.join(synth.outdir, `asset.${key}`, 'index.mjs');
      // Act: load the module the way the Lambda runtime does (ESM import), with no AWS call at init.
      const exported = execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(file)}); console.log(JSON.stringify(Object.keys(m)));`,
        ],
        { env: { ...process.env, AWS_REGION: 'us-east-1' }, encoding: 'utf8', timeout: 60_000 },
      );
      expect(JSON.parse(exported.trim().split('\n').pop() ?? '[]')).toEqual(expect.arrayContaining(handlers));
    }
  });

  it.each(MACHINES.map((m) => [m.id, m] as const))(
    'deploys %s as valid ASL with every placeholder resolved',
    (id, spec) => {
      const [, sm] =
        Object.entries(resources(primary, 'AWS::StepFunctions::StateMachine')).find(
          ([, r]) => r.Properties.StateMachineName === `shadowscale-${kebab(id)}`,
        ) ?? [];
      if (!sm) throw new Error(`no state machine ${id}`);
      const key = (sm.Properties.DefinitionS3Location as { Key: string }).Key;
      const substitutions = sm.Properties.DefinitionSubstitutions as Record<string, unknown>;
      let definition = fs.readFileSync(path.join(synth.outdir, `asset.${key}`), 'utf8');
      // What CloudFormation does with DefinitionSubstitutions, with an ARN-shaped stand-in for each token.
      for (const name of Object.keys(substitutions))
        definition = definition
          .split(`\${${name}}`)
          .join(`arn:aws:lambda:us-east-1:123456789012:function:${name}`);
      expect(definition.match(/\$\{[^}]*\}/g) ?? []).toEqual([]);
      const result = aslValidator(JSON.parse(definition));
      expect({ id, errors: result.isValid ? '' : result.errorsText('; ') }).toEqual({ id, errors: '' });
      expect(Object.keys(substitutions).sort()).toEqual(
        spec.functions.map((f) => FUNCTIONS.find((s) => s.id === f)?.substitution).sort(),
      );
      expect(sm.Properties).toMatchObject({
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
        TracingConfiguration: { Enabled: true },
      });
    },
  );

  it('starts the fan-out on schedule and the migration on Contention Predicted with the shared transformer', () => {
    primary.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^ForecasterForecastFanout') } })],
    });
    primary.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: CONTENTION_PREDICTED_RULE.eventPattern,
      Targets: [
        Match.objectLike({
          Arn: { Ref: Match.stringLikeRegexp('^ShadowPoolShadowPoolMigration') },
          InputTransformer: {
            InputPathsMap: CONTENTION_PREDICTED_RULE.inputTransformer.inputPathsMap,
            InputTemplate: CONTENTION_PREDICTED_RULE.inputTransformer.inputTemplate,
          },
          DeadLetterConfig: Match.anyValue(),
        }),
      ],
    });
  });

  it('outputs the ARNs of the build functions a pipeline or workflow invokes directly', () => {
    const [starter] = functionOf(primary, 'BuildStarter');
    const [action] = functionOf(primary, 'BuildPipelineAction');
    primary.hasOutput('BuildStarterFunctionArn', { Value: { 'Fn::GetAtt': [starter, 'Arn'] } });
    primary.hasOutput('BuildPipelineActionFunctionArn', { Value: { 'Fn::GetAtt': [action, 'Arn'] } });
  });

  it('has no * action anywhere, no unscoped write, and unique statement ids per policy', () => {
    for (const template of [primary, synth.templates.standby, synth.templates.demo]) {
      if (!template) throw new Error('stack missing');
      const statements = allowStatements(template);
      const sids = statements.filter((s) => s.sid !== undefined).map((s) => `${s.holder}/${s.sid}`);
      expect(sids.filter((sid, i) => sids.indexOf(sid) !== i)).toEqual([]);
      expect(statements.flatMap((s) => s.actions.filter((a) => a === '*' || a.endsWith(':*')))).toEqual([]);
      const unscoped = statements
        .filter(
          (s) =>
            s.resources.includes('*') &&
            s.condition === undefined &&
            !/^MonitoringAlarmTopicKey/.test(s.holder),
        )
        .flatMap((s) => s.actions.filter((a) => !isRead(a) && !/^(xray|logs):/.test(a)));
      expect(unscoped).toEqual([]);
    }
  });

  it('scopes ECS, EKS and ELB writes by the registered ARNs (and the demo) instead of the tag', () => {
    const writes = allowStatements(primary).filter((s) =>
      s.actions.some((a) => /^(ecs|eks|elasticloadbalancing):/.test(a) && !isRead(a)),
    );
    expect(writes.length).toBeGreaterThan(0);
    for (const statement of writes) {
      const registeredEcs =
        statement.actions.some((a) => a.startsWith('ecs:')) &&
        !statement.actions.includes('ecs:RegisterTaskDefinition');
      const text = statement.resources.join(' ');
      if (statement.actions.includes('ecs:RegisterTaskDefinition')) {
        // No resource-level permission exists: only requests tagging the new revision.
        expect(JSON.stringify(statement.condition)).toContain('aws:RequestTag/shadowscale:managed');
      } else if (
        registeredEcs &&
        // Tagging only as part of a create/register call (ecs:CreateAction), on what that call makes.
        statement.sid !== 'EcsTagOnCreate' &&
        statement.sid !== 'EcsTagOnRegister'
      ) {
        expect(text).toContain('service/prod-apps/*');
        expect(text).toContain('service/shadowscale-demo/*');
        expect(text).not.toMatch(/service\/\*\//);
      } else if (statement.actions.some((a) => a.startsWith('eks:'))) {
        expect(text).toContain('prod-k8s');
      } else if (statement.actions.some((a) => a.startsWith('elasticloadbalancing:'))) {
        expect(text).toContain('/checkout/0123456789abcdef/');
        expect(text).toContain('/shadowscale-demo/');
      }
    }
    const passRole = allowStatements(primary).filter((s) => s.actions.includes('iam:PassRole'));
    expect(passRole.length).toBeGreaterThan(0);
    for (const statement of passRole) expect(statement.resources).toEqual(REGISTERED.passRoleArns);
  });
});
