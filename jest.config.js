/** Three projects: unit specs beside the code, integration and end-to-end suites under test/. */
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', diagnostics: false }] };
const common = { testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'], transform };
const withServers = {
  ...common,
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
};

module.exports = {
  // A project-level testTimeout is ignored by jest 30; suites start real apps, so allow a minute.
  testTimeout: 60_000,
  maxWorkers: process.env.CI ? 2 : '50%',
  // Every suite closes the apps and servers it starts; a socket a server has not finished closing
  // once in a while must not keep the run from ending (in band, as on 2 cores, it would hang).
  forceExit: true,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/scripts/**/*.spec.ts'],
    },
    { ...withServers, displayName: 'integration', testMatch: ['<rootDir>/test/**/*.int-spec.ts'] },
    { ...withServers, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
