/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  setupFiles: ['<rootDir>/test/support/jest.setup.ts'],
  // Set-up that boots an app or a database can take more than jest's 5 s on a busy two-core machine.
  testTimeout: 30_000,
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  // The generated client (clients/typescript) imports its modules as './x.js', which is x.ts here.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
};
