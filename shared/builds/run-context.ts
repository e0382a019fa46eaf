import { z } from 'zod';
import {
  type BrokerInput,
  type BuildStartRequest,
  type CodeBuildStateEvent,
  RunContext,
} from '../schemas/builds';
import { parseOrThrow } from '../validation';
import type { StageRunInput } from './predictor';

/**
 * The one mapping from what the build broker receives to what the stage profile predictor reads
 * (`StageRunInput`): a run's start time plus the run context its input really carries. The same
 * context is recorded on the run's allocation, so the run's end is learnt with the inputs it was
 * predicted with (an end event rarely carries them). Anything not carried stays absent: the
 * predictor does without it.
 *
 *   - a direct request (a workflow's ECS task, the build starter): its `runContext`; the starter's
 *     request also its `sourceVersion` and `SHADOWSCALE_*` variables, read as the build's events
 *     would read them, the explicit `runContext` winning field by field;
 *   - a CodeBuild build state change: its `source-version` and its plaintext
 *     `SHADOWSCALE_CHANGE_KEY` / `_LANE` / `_CHANGE_SCORE` / `_JOBS` variables (variables win);
 *   - a CodePipeline stage state change: nothing (the event names no source revision).
 */

/** Build environment variables a project or a `StartBuild` call may set to tell the broker more. */
export const CONTEXT_VARIABLES = {
  changeKey: 'SHADOWSCALE_CHANGE_KEY',
  lane: 'SHADOWSCALE_LANE',
  changeScore: 'SHADOWSCALE_CHANGE_SCORE',
  jobs: 'SHADOWSCALE_JOBS',
} as const;

const decimal = (field: z.ZodNumber) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, 'must be a plain decimal number')
    .transform(Number)
    .pipe(field);

/** The variables as strings (CodeBuild variables are strings), each checked as its field is. */
const ContextVariables = z.object({
  [CONTEXT_VARIABLES.changeKey]: z.string().trim().pipe(RunContext.shape.changeKey.unwrap()).optional(),
  [CONTEXT_VARIABLES.lane]: z.string().trim().pipe(RunContext.shape.lane.unwrap()).optional(),
  [CONTEXT_VARIABLES.changeScore]: decimal(RunContext.shape.changeScore.unwrap()).optional(),
  [CONTEXT_VARIABLES.jobs]: decimal(RunContext.shape.jobs.unwrap()).optional(),
});

/**
 * Source types whose source version is a git revision (the API's `SourceType`). For S3 it is an
 * object version id, and CodePipeline hands the build an artifact, not a revision.
 */
const GIT_SOURCES = new Set([
  'GITHUB',
  'GITHUB_ENTERPRISE',
  'BITBUCKET',
  'CODECOMMIT',
  'GITLAB',
  'GITLAB_SELF_MANAGED',
]);

/** A full commit id (SHA-1 or SHA-256): it names one commit, not a change its reruns share. */
const COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/i;

/**
 * What a CodeBuild source version says of the run
 * (https://docs.aws.amazon.com/codebuild/latest/userguide/sample-source-version.html):
 *   - `pr/123` (a webhook's pull-request build) or `refs/pull/123/head|merge`: change `pr/123`;
 *     the branch it merges into is not in the version, so no lane;
 *   - `refs/heads/<branch>`: change `<branch>`, lane `push:<branch>`;
 *   - `refs/tags/<tag>`: change `refs/tags/<tag>`, no lane;
 *   - a full commit id: nothing (a new push to the branch gets a new id);
 *   - any other name (a branch or a tag, the version cannot tell which): change `<name>`, but only
 *     when `sourceType` is a git provider: an S3 version id is not a change.
 * A `^{commit}` suffix is dropped. `sourceType` undefined: only the unambiguous ref forms are read.
 */
export function contextOfSourceVersion(sourceVersion: string | undefined, sourceType?: string): RunContext {
  const version = sourceVersion?.trim().replace(/\^\{[^}]*\}$/, '') ?? '';
  if (version === '') return {};
  const pr = /^(?:pr\/|refs\/pull\/)(\d+)(?:\/(?:head|merge))?$/.exec(version);
  if (pr) return { changeKey: `pr/${pr[1]}` };
  const branch = /^refs\/heads\/(.+)$/.exec(version)?.[1];
  if (branch) return { changeKey: branch, lane: `push:${branch}` };
  if (/^refs\/tags\/.+$/.test(version)) return { changeKey: version };
  if (version.startsWith('refs/') || COMMIT.test(version)) return {};
  if (sourceType === undefined || !GIT_SOURCES.has(sourceType)) return {};
  return { changeKey: version };
}

/**
 * The context the `SHADOWSCALE_*` variables give; PARAMETER_STORE and SECRETS_MANAGER variables
 * carry a name, not the value, and are ignored. A malformed one: ValidationError naming the
 * variable and its value, or, given `ignored`, that message is appended there and the variable
 * left out (a build's own event: a typo in an optional hint must not cost the run its sizing or
 * its lesson, nor make EventBridge retry an event that can never parse).
 */
export function contextOfVariables(
  variables: readonly { name?: string; value?: string; type?: string }[] | undefined,
  what: string,
  ignored?: string[],
): RunContext {
  const names: readonly string[] = Object.values(CONTEXT_VARIABLES);
  const given: Record<string, string> = {};
  for (const v of variables ?? []) {
    if (v.name === undefined || !names.includes(v.name) || v.value === undefined) continue;
    if (v.type !== undefined && v.type !== 'PLAINTEXT') continue;
    if (v.value.trim() !== '') given[v.name] = v.value;
  }
  if (ignored)
    for (const [name, value] of Object.entries(given)) {
      const field = ContextVariables.shape[name as keyof typeof ContextVariables.shape];
      const check = field.safeParse(value);
      if (!check.success) {
        ignored.push(
          `${what}: ${name}=${JSON.stringify(value)} ${check.error.issues[0]?.message ?? 'is invalid'}`,
        );
        delete given[name];
      }
    }
  const parsed = parseOrThrow(ContextVariables, given, what);
  return defined({
    changeKey: parsed[CONTEXT_VARIABLES.changeKey],
    lane: parsed[CONTEXT_VARIABLES.lane],
    changeScore: parsed[CONTEXT_VARIABLES.changeScore],
    jobs: parsed[CONTEXT_VARIABLES.jobs],
  });
}

/**
 * A CodeBuild build's context from its state-change event: source version, then variables over it.
 * Malformed variables are left out and described in `ignored`.
 */
export function contextOfBuild(detail: CodeBuildStateEvent['detail'], ignored: string[]): RunContext {
  const info = detail['additional-information'];
  return {
    ...contextOfSourceVersion(info?.['source-version'], info?.source?.type),
    ...contextOfVariables(
      info?.environment?.['environment-variables'],
      `environment variables of build ${detail['build-id']}`,
      ignored,
    ),
  };
}

/**
 * The run context of any input the broker or the starter accepts (already validated). A direct
 * request's malformed context is refused (its caller gets the ValidationError); an event's
 * malformed variables are left out and described in `ignored`.
 */
export function runContextOf(
  input: z.infer<typeof BrokerInput> | BuildStartRequest,
  ignored: string[] = [],
): RunContext {
  if ('projectName' in input)
    return {
      ...contextOfSourceVersion(input.sourceVersion),
      ...contextOfVariables(input.environmentVariables, 'build start request environmentVariables'),
      ...defined(input.runContext ?? {}),
    };
  if ('kind' in input) return defined(input.runContext ?? {});
  if (input.source === 'aws.codepipeline') return {};
  return contextOfBuild(input.detail, ignored);
}

/** The predictor's input for a run started at `startMs` with `context` (absent: none known). */
export function stageRunInput(startMs: number, context: RunContext | undefined): StageRunInput {
  return { ...defined(context ?? {}), startMs };
}

/**
 * The context without undefined members, so that spreading it over another context never erases
 * a field the other one has.
 */
function defined(c: RunContext): RunContext {
  return Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as RunContext;
}
