// NS_TOOL_SPEC=file1,file2 runs a subset (scripts/test.js sets it from `npm test -- FILES`): mocha
// adds --spec to the configured spec instead of replacing it.
module.exports = {
  spec: process.env.NS_TOOL_SPEC ? process.env.NS_TOOL_SPEC.split(',') : ['test/**/*.test.ts'],
  'node-option': ['import=tsx'],
  reporter: './test/support/reporter.cjs',
  timeout: 120000,
  slow: 5000,
  require: ['test/support/hooks.ts'],
}
