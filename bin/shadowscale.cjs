#!/usr/bin/env node
// Entry of the `shadowscale` CLI. npm puts the pinned Node 24 (devDependency `node`) first on PATH
// for `npx shadowscale` and `npm start`; tsx compiles the TypeScript sources on the fly.
'use strict';
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `shadowscale: Node ${process.versions.node} is running; Node >= 24 is required (run it as \`npx shadowscale\` after \`npm ci\`).\n`,
  );
  process.exit(1);
}
// Some dependencies (@middy/core 7) ship ESM only, with an `import`-only exports map, which a
// CommonJS require cannot resolve. Node 24 can require ES modules; resolve such a package again
// with the `import` condition (the Lambda bundles are built by esbuild and need none of this).
require('node:module').registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (error?.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED' || context.conditions.includes('import'))
        throw error;
      return nextResolve(specifier, { ...context, conditions: [...context.conditions, 'import'] });
    }
  },
});
// Powertools reads its settings when a handler module first loads, which importing a command can
// do before the command runs: the CLI prints its own lines, so the handlers' JSON logs and EMF
// metrics are switched off here, first (a variable already set wins).
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
require('tsx/cjs');
const { main } = require('./cli/main.ts');
main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`shadowscale: unexpected failure: ${error?.stack ?? error}\n`);
    process.exitCode = 1;
  },
);
