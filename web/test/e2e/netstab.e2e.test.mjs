// The dashboard against the real netstab binary probing 127.0.0.1.
// NETSTAB_BIN: the binary (default build/dev/service/netstab from the repository root).
// Skipped, with the reason, when the binary or the browser tools are missing.
import test from 'node:test';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { missingTools, repoRoot, startAgent } from '../../e2e/harness.mjs';
import { runDashboardScenarios } from '../../e2e/scenarios.mjs';

const bin = resolve(repoRoot, process.env.NETSTAB_BIN ?? 'build/dev/service/netstab');
const skip = missingTools() ?? (existsSync(bin) ? false : `netstab binary not found at ${bin} (build it, or set NETSTAB_BIN)`);

test('dashboard with the real netstab', { skip, timeout: 120000 }, async (t) => {
  await runDashboardScenarios(t, {
    agent: 'e2e-netstab',
    screenshot: 'dashboard.png',
    startAgent: (broker, agent) =>
      startAgent({ command: bin, args: ['--broker', broker, '--agent', agent, '--target', '127.0.0.1', '--interval', '200'],
        broker, agent, timeoutMs: 15000 }),
  });
});
