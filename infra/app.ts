import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CAPABILITIES } from './capabilities';
import { readConfig } from './config';
import { buildShadowscale } from './shadowscale-app';

// `cdk synth|deploy` runs this file (cdk.json: `npx tsx infra/app.ts`). Context keys: README "Deploy".
const app = new App();
const config = readConfig((key) => app.node.tryGetContext(key), Object.keys(app.node.getAllContext()));
buildShadowscale(app, config, CAPABILITIES);
// cdk-nag on every stack: an unacknowledged finding fails synthesis (and so deploy).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
