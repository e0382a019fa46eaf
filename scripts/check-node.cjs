#!/usr/bin/env node
// Fails fast when the pinned Node 24 (the `node` devDependency, which npm puts first on PATH for
// every script) is not the one running: the Lambda runtime is nodejs24.x and tests must match it.
const major = Number(process.versions.node.split('.')[0]);
if (!Number.isFinite(major) || major < 24) {
  console.error(
    `shadowscale: Node ${process.versions.node} is running, but Node >= 24 is required.\n` +
      'Run scripts through npm (npm test, npm start), which uses the pinned `node` devDependency, ' +
      'and make sure `npm ci` ran without --ignore-scripts.',
  );
  process.exit(1);
}
