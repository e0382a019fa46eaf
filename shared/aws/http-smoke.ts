import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { SmokeRunner, SmokeTestConfig } from '../migration/tasks';
import type { Workload } from '../schemas/workload';

/** How long an HTTP smoke test may take before it counts as failed. */
export const SMOKE_TIMEOUT_MS = 10_000;

let lambdaClient: LambdaClient | undefined;
let override: SmokeRunner | undefined;

/**
 * Runs the smoke test a workload names: a Lambda (invoked with `{workloadId, targetGroupArn}`; a
 * function error or `{"ok": false}` fails it) or an HTTP GET that must answer `expectStatus`.
 */
export const awsSmokeRunner: SmokeRunner = {
  async run(test: SmokeTestConfig, workload: Workload) {
    if (test.kind === 'lambda') {
      lambdaClient ??= new LambdaClient({});
      const payload = {
        workloadId: workload.workloadId,
        targetGroupArn: workload.traffic.shadowTargetGroupArn,
      };
      const out = await lambdaClient.send(
        new InvokeCommand({
          FunctionName: test.functionName,
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
      );
      const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
      if (out.FunctionError)
        return { ok: false, detail: `${test.functionName}: ${out.FunctionError} ${text.slice(0, 300)}` };
      const ok = !/"ok"\s*:\s*false/.test(text);
      return { ok, detail: `${test.functionName} answered ${text.slice(0, 300) || '(empty)'}` };
    }
    try {
      const response = await fetch(test.url, { signal: AbortSignal.timeout(SMOKE_TIMEOUT_MS) });
      return {
        ok: response.status === test.expectStatus,
        detail: `GET ${test.url} -> ${response.status} (expected ${test.expectStatus})`,
      };
    } catch (error) {
      return { ok: false, detail: `GET ${test.url} failed: ${(error as Error).message}` };
    }
  },
};

/** Install another runner (tests, the local run); `undefined` restores the AWS one. */
export function setSmokeRunner(runner: SmokeRunner | undefined): void {
  override = runner;
}

export function smokeRunner(): SmokeRunner {
  return override ?? awsSmokeRunner;
}
