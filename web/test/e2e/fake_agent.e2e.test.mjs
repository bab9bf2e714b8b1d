// The dashboard against the fake agent (a contract-speaking stand-in for netstab): runs wherever
// chromium and mosquitto are installed, without a netstab build.
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { missingTools, startAgent } from '../../e2e/harness.mjs';
import { runDashboardScenarios } from '../../e2e/scenarios.mjs';

const fake = fileURLToPath(new URL('../../e2e/fake_agent.mjs', import.meta.url));
const missing = missingTools();

test('dashboard with the fake agent', { skip: missing ?? false, timeout: 120000 }, async (t) => {
  await runDashboardScenarios(t, {
    agent: 'fake-e2e',
    screenshot: 'dashboard-fake-agent.png',
    startAgent: (broker, agent) =>
      startAgent({ command: process.execPath, args: [fake, '--broker', broker, '--agent', agent, '--interval', '200', '--stopped'],
        broker, agent }),
  });
});
