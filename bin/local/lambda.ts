import { join } from 'node:path';
import type { FunctionSpec } from '../../functions/manifest';

/**
 * Invoke a real Lambda handler in process: the export a function spec names, loaded from its entry
 * file, called with the event and a Lambda-like context, its result turned into JSON as Lambda
 * would. Powertools stays quiet here (see `quietPowertools`), the handler code is unchanged.
 */

const ROOT = join(__dirname, '..', '..');
export const LOCAL_ACCOUNT = '000000000000';

export type LambdaHandler = (event: unknown, context: LambdaContextLike) => Promise<unknown>;

export interface LambdaContextLike {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
  done(): void;
  fail(): void;
  succeed(): void;
}

export type InvocableSpec = Pick<FunctionSpec, 'id' | 'entry' | 'handler' | 'timeoutSeconds' | 'memoryMb'>;

/**
 * Powertools writes JSON logs and EMF metrics to stdout; the local run prints its own lines, so
 * they are switched off through Powertools' own settings. They take effect only before the first
 * handler module loads: the CLI entry (`bin/shadowscale.cjs`) sets them first; this covers an
 * in-process caller that has not.
 */
export function quietPowertools(): void {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
  process.env.POWERTOOLS_METRICS_NAMESPACE ??= 'ShadowscaleLocal';
}

export function localArn(spec: Pick<FunctionSpec, 'id'>): string {
  const region = process.env.AWS_REGION ?? 'us-east-1';
  return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:shadowscale-local-${spec.id}`;
}

function context(spec: InvocableSpec, requestId: string): LambdaContextLike {
  const deadline = Date.now() + spec.timeoutSeconds * 1000;
  return {
    functionName: `shadowscale-local-${spec.id}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: localArn(spec),
    memoryLimitInMB: String(spec.memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/shadowscale-local-${spec.id}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The exported handler a spec names, from its entry file. */
export function loadHandler(spec: InvocableSpec): LambdaHandler {
  const module = require(join(ROOT, spec.entry)) as Record<string, unknown>;
  const handler = module[spec.handler ?? 'handler'];
  if (typeof handler !== 'function') {
    throw new Error(`${spec.entry} does not export ${spec.handler ?? 'handler'} (function ${spec.id})`);
  }
  return handler as LambdaHandler;
}

let requests = 0;

/** A function that invokes the spec's handler like Lambda does (JSON in, JSON out). */
export function localFunction(spec: InvocableSpec, handler: LambdaHandler = loadHandler(spec)) {
  return async (event: unknown): Promise<unknown> => {
    requests++;
    const output = await handler(event, context(spec, `local-${requests}`));
    return output === undefined ? null : (JSON.parse(JSON.stringify(output)) as unknown);
  };
}
