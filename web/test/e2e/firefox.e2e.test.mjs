// The dashboard scenarios in Firefox (Debian's firefox-esr, driven by puppeteer-core over WebDriver
// BiDi) against the real netstab probing 127.0.0.1. FIREFOX_BIN overrides /usr/bin/firefox-esr and
// NETSTAB_BIN the binary (default build/dev/service/netstab from the repository root).
// Skipped, with the reason, when Firefox or the binary is missing; with REQUIRE_PRIVILEGED_TESTS=1 (CI)
// a missing Firefox fails the run instead, so CI cannot pass without having run it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { missingEngine } from '../../e2e/driver.mjs';
import { repoRoot, startAgent } from '../../e2e/harness.mjs';
import { runDashboardScenarios } from '../../e2e/scenarios.mjs';

const bin = resolve(repoRoot, process.env.NETSTAB_BIN ?? 'build/dev/service/netstab');
const missingFirefox = missingEngine('firefox');
const required = process.env.REQUIRE_PRIVILEGED_TESTS === '1';

if (missingFirefox && required) {
  test('firefox is installed (REQUIRE_PRIVILEGED_TESTS=1)', () => {
    assert.fail(`${missingFirefox}; the Firefox suite must run when REQUIRE_PRIVILEGED_TESTS=1`);
  });
}

const skip = missingFirefox ?? (existsSync(bin) ? false : `netstab binary not found at ${bin} (build it, or set NETSTAB_BIN)`);

test('dashboard in Firefox with the real netstab', { skip, timeout: 180000 }, async (t) => {
  await runDashboardScenarios(t, {
    engine: 'firefox',
    agent: 'e2e-netstab-firefox',
    screenshot: 'dashboard-firefox.png',
    startAgent: (broker, agent) =>
      startAgent({ command: bin, args: ['--broker', broker, '--agent', agent, '--target', '127.0.0.1', '--interval', '200'],
        broker, agent, timeoutMs: 15000 }),
  });
});
