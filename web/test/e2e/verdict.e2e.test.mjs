// The verdict scenarios (e2e/verdict.mjs) against the fake agent's scripted paths and verdicts, in Chromium and
// in Firefox. Each engine is skipped, with the reason, when it is missing; under REQUIRE_PRIVILEGED_TESTS=1 a
// missing Firefox fails the run in firefox.e2e.test.mjs.
import test from 'node:test';
import { missingEngine } from '../../e2e/driver.mjs';
import { runVerdictScenarios } from '../../e2e/verdict.mjs';

for (const engine of ['chromium', 'firefox']) {
  test(`verdict, hop table, incidents and change log in ${engine} (fake agent scenarios)`,
    { skip: missingEngine(engine) ?? false, timeout: 180000 }, async (t) => {
      await runVerdictScenarios(t, { engine });
    });
}
