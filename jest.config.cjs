// Three tiers (see CONTRIBUTING.md): unit (pure, no network), integration (real local servers:
// dynalite, the ASL interpreter, headless Chromium), infra (CDK Template assertions).
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
    { ...common, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
  ],
};
