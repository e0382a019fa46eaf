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
