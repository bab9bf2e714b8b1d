// The outage scenario (e2e/outage.mjs): a target whose every probe is answered by "destination unreachable".
// Against the real netstab, in Chromium and in Firefox: an nftables table makes a loopback address answer
// echo requests with ICMP host unreachable (no packet leaves loopback), and is deleted to let it answer again,
// which closes the incident (a 4 s statistics window lets the status recover within seconds). Needs root
// for nftables: skipped otherwise, a failure under REQUIRE_PRIVILEGED_TESTS=1. Against the fake agent
// (--unreachable) it runs anywhere, without the recovery.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingEngine } from '../../e2e/driver.mjs';
import { missingFirewall, rejectPingsTo, repoRoot, startAgent } from '../../e2e/harness.mjs';
import { runOutageScenario } from '../../e2e/outage.mjs';

const bin = resolve(repoRoot, process.env.NETSTAB_BIN ?? 'build/dev/service/netstab');
const fake = fileURLToPath(new URL('../../e2e/fake_agent.mjs', import.meta.url));
const required = process.env.REQUIRE_PRIVILEGED_TESTS === '1';
const firewall = missingFirewall();

if (firewall && required) {
  test('the outage scenario can run (REQUIRE_PRIVILEGED_TESTS=1)', () => {
    assert.fail(`${firewall}; the outage scenario against netstab must run when REQUIRE_PRIVILEGED_TESTS=1`);
  });
}

test('outage with the fake agent (every probe unreachable)', { skip: missingEngine('chromium') ?? false, timeout: 120000 },
  async (t) => {
    await runOutageScenario(t, {
      agent: 'fake-outage',
      screenshot: 'outage-fake-agent.png',
      startAgent: (broker, agent) =>
        startAgent({ command: process.execPath, args: [fake, '--broker', broker, '--agent', agent, '--interval', '200',
          '--target', '127.88.0.1', '--unreachable'], broker, agent }),
    });
  });

// A 4 s window in 4 buckets: the losses leave the window, and the status recovers, seconds after the target
// answers again.
const CONFIG = '[stats]\nwindow_s = 4\nbuckets = 4\n';

for (const [i, engine] of ['chromium', 'firefox'].entries()) {
  const missing = missingEngine(engine);
  if (missing && required && engine === 'firefox') continue; // firefox.e2e.test.mjs fails the run for it
  const skip = missing ?? firewall ?? (existsSync(bin) ? false : `netstab binary not found at ${bin} (build it, or set NETSTAB_BIN)`);
  test(`outage with the real netstab in ${engine} (ICMP host unreachable from nftables)`, { skip, timeout: 180000 }, async (t) => {
    // One address per engine and run, so parallel runs do not meet.
    const address = `127.88.${(process.pid >> 6) & 255}.${((process.pid & 63) << 2) + 1 + i}`;
    const dir = await mkdtemp(join(tmpdir(), 'netstab-web-outage-'));
    const config = join(dir, 'netstab.toml');
    await writeFile(config, CONFIG);
    const block = rejectPingsTo(address, `netstab_web_e2e_${i}`);
    t.after(async () => {
      block.remove();
      await rm(dir, { recursive: true, force: true });
    });
    block.add();
    await runOutageScenario(t, {
      engine,
      agent: `e2e-outage-${engine}`,
      screenshot: `outage-${engine}.png`,
      restore: () => block.remove(),
      startAgent: (broker, agent) =>
        startAgent({ command: bin, args: ['--config', config, '--broker', broker, '--agent', agent, '--target', address,
          '--interval', '200'], broker, agent, timeoutMs: 15000 }),
    });
  });
}
