// Connection panel behaviour against a real mosquitto: refusal, unreachable broker, automatic reconnect,
// settings remembered. Needs no agent.
import test from 'node:test';
import assert from 'node:assert/strict';
import { builtPage, freePort, missingTools, openBrowser, startMosquitto, waitFor } from '../../e2e/harness.mjs';

const missing = missingTools();
const text = (page, sel) => page.locator(sel).textContent();

test('connection panel', { skip: missing ?? false, timeout: 120000 }, async (t) => {
  const dist = await builtPage();
  const broker = await startMosquitto({ httpDir: dist, users: { web: 'right-password' } });
  const browser = await openBrowser(`http://127.0.0.1:${broker.wsPort}`);
  t.after(async () => {
    await browser.close();
    await broker.stop();
  });
  const page = await browser.newPage();
  await page.goto(broker.url);

  await t.test('an anonymous connection refused by the broker says so and opens the panel', async () => {
    await waitFor('refusal', async () => /broker refused the connection: not authorized/.test(await text(page, '#conn-text')));
    assert.match(await page.locator('#conn').getAttribute('class'), /pill-refused/);
    assert.equal(await page.locator('#conn-panel').isVisible(), true);
    assert.equal(await page.locator('#conn-url').inputValue(), `ws://127.0.0.1:${broker.wsPort}/mqtt`);
    assert.match(await text(page, '#banner'), /refused/);
  });

  await t.test('a wrong password is refused clearly', async () => {
    await page.fill('#conn-user', 'web');
    await page.fill('#conn-pass', 'wrong');
    await page.click('#conn-connect');
    await waitFor('refusal', async () => /broker refused the connection: (not authorized|bad username or password)/.test(await text(page, '#conn-text')));
  });

  await t.test('the right password connects, and the settings are remembered', async () => {
    await page.fill('#conn-pass', 'right-password');
    await page.click('#conn-connect');
    await waitFor('connected', async () => (await text(page, '#conn-text')) === 'connected');
    await page.reload();
    await waitFor('connected after reload', async () => (await text(page, '#conn-text')) === 'connected');
    assert.equal(await page.locator('#conn-user').inputValue(), 'web');
  });

  await t.test('the page reconnects by itself after the broker restarts', async () => {
    await broker.pause();
    await waitFor('connection lost shown', async () => /lost|retrying|cannot reach/.test(await text(page, '#conn-text')));
    assert.match(await page.locator('#conn').getAttribute('class'), /pill-reconnecting/);
    await broker.resume();
    await waitFor('reconnected', async () => (await text(page, '#conn-text')) === 'connected', 15000);
  });

  await t.test('an unreachable broker is reported', async () => {
    const port = await freePort();
    if (!(await page.locator('#conn-panel').isVisible())) await page.click('#conn-toggle');
    await page.fill('#conn-url', `ws://127.0.0.1:${port}/mqtt`);
    await page.click('#conn-connect');
    await waitFor('unreachable', async () => /cannot reach the broker at ws:\/\/127\.0\.0\.1:\d+\/mqtt/.test(await text(page, '#conn-text')));
    await page.fill('#conn-url', 'mqtt://127.0.0.1:1883');
    await page.click('#conn-connect');
    await waitFor('URL rejected', async () => /must start with ws:\/\/ or wss:\/\//.test(await text(page, '#conn-text')));
  });

  await t.test('no request left for another host and no page error', async () => {
    assert.deepEqual(browser.foreign.filter((u) => !u.includes('127.0.0.1')), []);
    assert.deepEqual(browser.errors, []);
  });
});
