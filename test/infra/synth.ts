import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, type Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readConfig } from '../../infra/config';
import { buildShadowscale, type ShadowscaleStacks } from '../../infra/shadowscale-app';
import type { Capabilities } from '../../infra/stacks/control-plane-stack';

export interface Synthesized {
  readonly outdir: string;
  readonly stacks: ShadowscaleStacks;
  readonly templates: { primary: Template; standby?: Template; demo?: Template };
  /** cdk-nag findings not acknowledged ("rule at path"), empty when synthesis passed. */
  readonly nagFindings: string[];
}

interface Violation {
  ruleName: string;
  violatingConstructs: { constructPath: string }[];
}

/**
 * Synthesize the whole app in-process with cdk-nag on every stack, the way `cdk synth` does,
 * from `shadowscale:*` context values. Asset bundling runs the local esbuild.
 */
export function synthesize(context: Record<string, unknown>, capabilities: Capabilities): Synthesized {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'shadowscale-cdk-'));
  const full = { 'shadowscale:account': '123456789012', ...context };
  const app = new App({ outdir, context: full });
  const config = readConfig((key) => app.node.tryGetContext(key), Object.keys(full));
  const stacks = buildShadowscale(app, config, capabilities);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  let nagFindings: string[] = [];
  try {
    app.synth();
  } catch (error) {
    const report = path.join(outdir, 'validation-report.json');
    if (!fs.existsSync(report)) throw error;
    const parsed = JSON.parse(fs.readFileSync(report, 'utf8')) as {
      pluginReports: { violations: Violation[] }[];
    };
    nagFindings = parsed.pluginReports.flatMap((r) =>
      r.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`)),
    );
    if (nagFindings.length === 0) throw error;
  }
  // From the assembly just written: Template.fromStack would synthesize (and validate) again.
  const read = (stack: Stack) =>
    Template.fromJSON(
      JSON.parse(fs.readFileSync(path.join(outdir, stack.templateFile), 'utf8')) as Record<string, unknown>,
    );
  const templates = {
    primary: read(stacks.primary),
    standby: stacks.standby ? read(stacks.standby) : undefined,
    demo: stacks.demo ? read(stacks.demo) : undefined,
  };
  return { outdir, stacks, templates, nagFindings };
}
