/** Three tiers: unit (pure code), e2e (real HTTP, real Postgres/Redis), compat (official Letta client). */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];
const moduleNameMapper = {
  '^@engram/(agent-runtime|llm|embeddings|sandbox)$': '<rootDir>/libs/$1/src',
  '^@engram/(agent-runtime|llm|embeddings|sandbox)/(.*)$': '<rootDir>/libs/$1/src/$2',
};
// A few dependencies ship ES modules only (Node 20 can require them; Jest cannot), or load Node
// built-ins with a dynamic import() (Jest refuses it without --experimental-vm-modules): compile
// those too (SWC turns import() into require()).
const esmOnly = ['content-disposition', 'jose', '@opentelemetry/otlp-exporter-base'];
const common = {
  transform: { '^.+\\.(t|j)s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleNameMapper,
  testEnvironment: 'node',
};

module.exports = {
  testTimeout: 60000,
  // On 2 cores Jest runs every file in band, inside its own process, and that heap grows file by
  // file (each file loads the app's modules anew) until it dies at 4 GB, as CI did. With a limit
  // it runs the files in a worker process instead, replaced when it holds more than this.
  workerIdleMemoryLimit: '1GB',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{src,libs}/**/*.spec.ts', '<rootDir>/test/deploy/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    {
      ...common,
      displayName: 'compat',
      testMatch: ['<rootDir>/test/compat/**/*.spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
