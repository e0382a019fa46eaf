import {
  contextOfBuild,
  contextOfSourceVersion,
  runContextOf,
  stageRunInput,
} from '../../../shared/builds/run-context';
import { ValidationError } from '../../../shared/errors';
import {
  BrokerInput,
  BuildStartRequest,
  type CodeBuildStateEvent,
  WorkflowTaskRequest,
} from '../../../shared/schemas/builds';
import { parseOrThrow } from '../../../shared/validation';

const T = Date.parse('2026-03-02T10:00:00Z');
const SHA = '0123456789abcdef0123456789abcdef01234567';

/** A CodeBuild state-change event as the CodeBuild User Guide shows it, with the fields under test. */
const buildEvent = (info: {
  sourceVersion?: string;
  sourceType?: string;
  variables?: { name: string; value: string; type?: string }[];
}) =>
  BrokerInput.parse({
    version: '0',
    id: 'evt-1',
    'detail-type': 'CodeBuild Build State Change',
    source: 'aws.codebuild',
    account: '123456789012',
    time: '2026-03-02T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: {
      'build-status': 'IN_PROGRESS',
      'project-name': 'unit-tests',
      'build-id': 'arn:aws:codebuild:us-east-1:123456789012:build/unit-tests:8745a7a9',
      'additional-information': {
        environment: {
          'compute-type': 'BUILD_GENERAL1_MEDIUM',
          'environment-variables': info.variables ?? [],
        },
        ...(info.sourceType
          ? { source: { type: info.sourceType, location: 'https://example.com/r.git' } }
          : {}),
        ...(info.sourceVersion !== undefined ? { 'source-version': info.sourceVersion } : {}),
        initiator: 'GitHub-Hookshot/abc',
      },
    },
  });

describe('contextOfSourceVersion', () => {
  it.each([
    ['a webhook pull-request build', 'pr/123', 'GITHUB', { changeKey: 'pr/123' }],
    ['a pull-request ref', 'refs/pull/7/head', undefined, { changeKey: 'pr/7' }],
    ['a pull-request merge ref with a commit', `refs/pull/7/merge^{${SHA}}`, 'GITHUB', { changeKey: 'pr/7' }],
    ['a branch ref', 'refs/heads/main', undefined, { changeKey: 'main', lane: 'push:main' }],
    [
      'a branch ref with a slash and a commit',
      `refs/heads/release/2.x^{${SHA}}`,
      'CODECOMMIT',
      { changeKey: 'release/2.x', lane: 'push:release/2.x' },
    ],
    ['a tag ref', 'refs/tags/v1.0', 'GITHUB', { changeKey: 'refs/tags/v1.0' }],
    ['a full commit id', SHA, 'GITHUB', {}],
    ['a SHA-256 commit id', `${SHA}${'a'.repeat(24)}`, 'GITLAB', {}],
    ['a branch name from a git source', 'feature-x', 'GITHUB', { changeKey: 'feature-x' }],
    ['a bare name of unknown source', 'feature-x', undefined, {}],
    ['an S3 object version id', '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrH', 'S3', {}],
    ['a CodePipeline artifact', 'arn:aws:s3:::bucket/key', 'CODEPIPELINE', {}],
    ['an unknown ref form', 'refs/notes/x', 'GITHUB', {}],
    ['no source version', undefined, 'GITHUB', {}],
    ['an empty source version', '  ', 'GITHUB', {}],
  ])('reads %s', (_what, version, type, expected) => {
    expect(contextOfSourceVersion(version, type)).toEqual(expected);
  });
});

describe('runContextOf', () => {
  it.each([
    ['a PR build', { sourceVersion: 'pr/123', sourceType: 'GITHUB' }, { changeKey: 'pr/123' }],
    [
      'a branch-ref build',
      { sourceVersion: 'refs/heads/main', sourceType: 'GITHUB' },
      { changeKey: 'main', lane: 'push:main' },
    ],
    ['a build of a commit', { sourceVersion: SHA, sourceType: 'GITHUB' }, {}],
    ['a build with no source version', {}, {}],
    [
      'variables over the source version',
      {
        sourceVersion: 'pr/123',
        sourceType: 'GITHUB',
        variables: [
          { name: 'SHADOWSCALE_LANE', value: 'pr:main', type: 'PLAINTEXT' },
          { name: 'SHADOWSCALE_CHANGE_SCORE', value: ' 7.25 ' },
          { name: 'SHADOWSCALE_JOBS', value: '4', type: 'PLAINTEXT' },
          { name: 'SUITE', value: 'integration' },
        ],
      },
      { changeKey: 'pr/123', lane: 'pr:main', changeScore: 7.25, jobs: 4 },
    ],
    [
      'a variable that overrides the derived change key',
      {
        sourceVersion: 'refs/heads/main',
        variables: [{ name: 'SHADOWSCALE_CHANGE_KEY', value: 'pr/9' }],
      },
      { changeKey: 'pr/9', lane: 'push:main' },
    ],
    [
      'a parameter-store variable, which holds a name, not the value',
      { variables: [{ name: 'SHADOWSCALE_CHANGE_SCORE', value: '/ci/score', type: 'PARAMETER_STORE' }] },
      {},
    ],
    ['an empty variable', { variables: [{ name: 'SHADOWSCALE_JOBS', value: '' }] }, {}],
  ])('maps a CodeBuild event: %s', (_what, info, expected) => {
    expect(runContextOf(buildEvent(info))).toEqual(expected);
  });

  it('maps a CodePipeline stage event to no context: the event names no revision', () => {
    const event = BrokerInput.parse({
      version: '0',
      id: 'e',
      'detail-type': 'CodePipeline Stage Execution State Change',
      source: 'aws.codepipeline',
      account: '123456789012',
      time: '2026-03-02T10:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: { pipeline: 'checkout', 'execution-id': 'x', stage: 'Test', state: 'STARTED' },
    });
    expect(runContextOf(event)).toEqual({});
  });

  const task = { kind: 'ecs-task', workflow: 'etl', task: 'Transform', runId: 'exec-1' };
  const start = { projectName: 'checkout-tests', pipeline: 'checkout', stage: 'Test', runId: 'r1' };
  it.each([
    ['a workflow request without context', WorkflowTaskRequest.parse(task), {}],
    [
      'a workflow request with context',
      WorkflowTaskRequest.parse({
        ...task,
        runContext: { changeKey: 'nightly', lane: 'push:main', jobs: 3 },
      }),
      { changeKey: 'nightly', lane: 'push:main', jobs: 3 },
    ],
    ['a start request without context', BuildStartRequest.parse(start), {}],
    [
      'a start request: source version, then variables, then runContext',
      BuildStartRequest.parse({
        ...start,
        sourceVersion: 'refs/heads/release-2.x',
        environmentVariables: [
          { name: 'SHADOWSCALE_CHANGE_SCORE', value: '3' },
          { name: 'SHADOWSCALE_JOBS', value: '2' },
        ],
        runContext: { changeScore: 5.5 },
      }),
      { changeKey: 'release-2.x', lane: 'push:release-2.x', changeScore: 5.5, jobs: 2 },
    ],
  ])('maps %s', (_what, input, expected) => {
    expect(runContextOf(input)).toEqual(expected);
  });

  it.each([
    [
      'a non-numeric change score',
      [{ name: 'SHADOWSCALE_CHANGE_SCORE', value: 'big' }],
      'SHADOWSCALE_CHANGE_SCORE',
      '"big"',
    ],
    ['a fractional job count', [{ name: 'SHADOWSCALE_JOBS', value: '2.5' }], 'SHADOWSCALE_JOBS', '2.5'],
    ['a lane without a trigger', [{ name: 'SHADOWSCALE_LANE', value: 'main' }], 'SHADOWSCALE_LANE', '"main"'],
  ])(
    "leaves out a build event's variable with %s, naming the variable and value, and keeps the rest",
    (_what, variables, field, shown) => {
      const ignored: string[] = [];
      const detail = (
        buildEvent({
          variables: [...variables, { name: 'SHADOWSCALE_CHANGE_KEY', value: 'feature-x' }],
        }) as CodeBuildStateEvent
      ).detail;
      expect(contextOfBuild(detail, ignored)).toEqual({ changeKey: 'feature-x' });
      expect(ignored).toHaveLength(1);
      expect(ignored[0]).toContain(field);
      expect(ignored[0]).toContain(shown);
    },
  );

  it('refuses a start request whose variables are malformed, naming the variable and value', () => {
    const request = {
      projectName: 'checkout-tests',
      pipeline: 'p',
      stage: 's',
      runId: 'r',
      environmentVariables: [{ name: 'SHADOWSCALE_JOBS', value: '2.5' }],
    };
    const error = (() => {
      try {
        return runContextOf(BuildStartRequest.parse(request));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain('SHADOWSCALE_JOBS');
    expect((error as ValidationError).message).toContain('2.5');
  });

  it.each([
    ['a negative change score', { changeScore: -1 }, 'runContext.changeScore', '-1'],
    ['zero jobs', { jobs: 0 }, 'runContext.jobs', '0'],
    ['a lane without a trigger', { lane: 'main' }, 'runContext.lane', '"main"'],
    ['an unknown field', { branch: 'main' }, 'runContext.branch', '"main"'],
  ])(
    'rejects a request whose runContext has %s, naming the field and value',
    (_what, runContext, field, shown) => {
      const task = { kind: 'ecs-task', workflow: 'etl', task: 'T', runId: 'r', runContext };
      const start = { projectName: 'checkout-tests', pipeline: 'p', stage: 's', runId: 'r', runContext };
      for (const [schema, input] of [
        [WorkflowTaskRequest, task],
        [BuildStartRequest, start],
      ] as const) {
        const error = (() => {
          try {
            return parseOrThrow(schema, input, 'request');
          } catch (e) {
            return e;
          }
        })();
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).message).toContain(`\`${field}\``);
        expect((error as ValidationError).message).toContain(shown);
      }
    },
  );
});

describe('stageRunInput', () => {
  it('is the start time alone without context, and the context beside it otherwise', () => {
    expect(stageRunInput(T, undefined)).toEqual({ startMs: T });
    expect(stageRunInput(T, {})).toEqual({ startMs: T });
    expect(stageRunInput(T, { changeKey: 'pr/1', lane: 'pr:main', changeScore: 2, jobs: 3 })).toEqual({
      startMs: T,
      changeKey: 'pr/1',
      lane: 'pr:main',
      changeScore: 2,
      jobs: 3,
    });
  });
});
