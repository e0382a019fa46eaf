// Tiers (see README "Checks"): unit (pure, no network), integration (real local servers:
// dynalite, the ASL interpreter, headless Chromium), dynamodb-local (the DynamoDB suites again on
// AWS's DynamoDB Local), e2e (the product's AWS adapters against a moto server), infra (CDK
// Template assertions and the CloudFormation resource specification).
// @swc/jest compiles our TypeScript and the ESM-only packages (@middy/core) to CommonJS.
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  },
];
const esmPackages = ['@middy', '@bsull/augurs', 'commander'].join('|');
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  // middy publishes only an "import" export condition, which jest's CommonJS resolver skips;
  // point it at the ESM entry files, which the transform above compiles.
  moduleNameMapper: { '^@middy/(core|util)$': '<rootDir>/node_modules/@middy/$1/index.js' },
  setupFiles: ['<rootDir>/test/setup-env.ts'],
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'dynamodb-local',
      // The repository contract, storage, idempotency and forecaster-handler suites, unchanged,
      // on AWS's own emulator: real TTL deletion, the service's validation and size rules.
      testMatch: [
        '<rootDir>/test/integration/data/*.test.ts',
        '<rootDir>/test/integration/forecaster/handler.test.ts',
      ],
      setupFiles: [...common.setupFiles, '<rootDir>/test/servers/dynamodb-local-env.ts'],
      globalSetup: '<rootDir>/test/servers/dynamodb-local-setup.ts',
      globalTeardown: '<rootDir>/test/servers/dynamodb-local-teardown.ts',
    },
    {
      ...common,
      displayName: 'e2e',
      // The AWS adapters against a moto server (python3 -m moto.server), one per test file.
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
    },
    { ...common, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
  ],
};
