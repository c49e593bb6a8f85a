/**
 * The one-way package arrows (docs/architecture.md), checked by `npm run depcheck` and by
 * `npm test` (scripts/run-tests.sh):
 *
 *   cli → {broker, dashboard, edge, firmware-bridge} → protocol
 *
 * Test files count: a package's tests import what its code may import. Tests that wire
 * several packages together live in test/ or cli/. The shared test helpers and fixtures
 * (test/helpers, test/fixtures) may be used by every package's tests and import no package
 * but protocol.
 */
const PACKAGES = ['protocol', 'firmware-bridge', 'edge', 'broker', 'dashboard', 'cli'];
const others = (...allowed) => `^(${PACKAGES.filter((p) => !allowed.includes(p)).join('|')})/`;
const TEST_SUPPORT = '^test/(helpers|fixtures)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'protocol-imports-no-package',
      comment: 'protocol is the contract every package shares: it imports no other @mieruka package.',
      severity: 'error',
      from: { path: '^protocol/' },
      to: { path: [others('protocol'), '^test/'] },
    },
    {
      name: 'firmware-bridge-imports-protocol-only',
      comment: 'firmware-bridge speaks protocol (the serial line and SerialMessageSource); the cli wires it to edge.',
      severity: 'error',
      from: { path: '^firmware-bridge/' },
      to: { path: others('firmware-bridge', 'protocol') },
    },
    {
      name: 'edge-imports-protocol-only',
      comment: 'edge agents read a SerialMessageSource (protocol); which one (a real port, a simulator) the cli decides.',
      severity: 'error',
      from: { path: '^edge/' },
      to: { path: others('edge', 'protocol') },
    },
    {
      name: 'broker-imports-protocol-only',
      comment: 'The hub never imports the dashboard or the edge: it mounts the dashboard through mountHttp, wired by the cli.',
      severity: 'error',
      from: { path: '^broker/' },
      to: { path: others('broker', 'protocol') },
    },
    {
      name: 'dashboard-imports-protocol-only',
      comment: 'The dashboard never imports the hub: it reads a DashboardDataSource (protocol).',
      severity: 'error',
      from: { path: '^dashboard/' },
      to: { path: others('dashboard', 'protocol') },
    },
    {
      name: 'packages-use-only-shared-test-support',
      comment: 'Package tests may use test/helpers and test/fixtures, never the cross-package tests in test/.',
      severity: 'error',
      from: { path: '^(protocol|firmware-bridge|edge|broker|dashboard|cli)/' },
      to: { path: '^test/', pathNot: TEST_SUPPORT },
    },
    {
      name: 'shared-test-support-imports-protocol-only',
      comment: 'test/helpers and test/fixtures serve every package, so they lean on none but protocol.',
      severity: 'error',
      from: { path: TEST_SUPPORT },
      to: { path: others('protocol') },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|dist-web)/' },
    tsConfig: { fileName: 'tsconfig.test.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.d.ts'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
