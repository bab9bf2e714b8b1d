// The dashboard scenarios shared by the e2e suites: the same steps run against the fake agent and
// against the real netstab. `startAgent(broker, agent)` must start the agent process probing
// 127.0.0.1 and resolve to {kill(signal)} once the agent is online.
import assert from 'node:assert/strict';
import { builtPage, mqttClient, openBrowser, publish, saveScreenshot, sleep, startMosquitto, waitFor } from './harness.mjs';

export const XSS = '<img src=x onerror=alert(1)>';
const BAD_TARGET = process.env.NETSTAB_E2E_BAD_TARGET ?? 'bad target!';

const text = (page, sel) => page.locator(sel).textContent();
const isNumber = (s) => /^\d+(\.\d+)?$/.test((s ?? '').trim());

export async function runDashboardScenarios(t, { startAgent, agent, screenshot }) {
  const dist = await builtPage();
  const broker = await startMosquitto({ httpDir: dist });
  const origin = `http://127.0.0.1:${broker.wsPort}`;
  let proc = null;
  let browser = null;
  t.after(async () => {
    await browser?.close();
    await proc?.kill('SIGKILL');
    await broker.stop();
  });
  proc = await startAgent(broker.mqttUrl, agent);
  browser = await openBrowser(origin);
  const page = await browser.newPage();
  await page.goto(broker.url);

  await t.test('the page connects and finds the agent', async () => {
    await waitFor('connected', async () => (await text(page, '#conn-text')) === 'connected');
    await waitFor(`agent ${agent} selected`, async () => (await page.locator('#agent').inputValue()) === agent);
    await waitFor('agent online', async () => (await text(page, '#agent-avail')) === 'online');
    await waitFor('START/STOP enabled', async () => page.locator('#start').isEnabled());
  });

  await t.test('START makes RTT numbers and chart points appear', async () => {
    if ((await text(page, '#start')) === 'STOP') {
      await page.click('#start');
      await waitFor('button back to START', async () => (await text(page, '#start')) === 'START');
    }
    await page.fill('#target', '127.0.0.1');
    await page.click('#start');
    await waitFor('button turns into STOP', async () => (await text(page, '#start')) === 'STOP', 10000);
    assert.match(await page.locator('#start').getAttribute('class'), /\bstop\b/);
    await waitFor('an RTT number', async () => isNumber(await text(page, '#h-rtt')), 10000);
    await waitFor('a process latency number', async () => isNumber(await text(page, '#h-proc')), 10000);
    await waitFor('chart points', async () => Number(await page.locator('#chart').getAttribute('data-points')) >= 5, 10000);
    await waitFor('stats in the HUD', async () => isNumber(await text(page, '#h-loss')), 10000);
    assert.match(await text(page, '#h-status'), /^(OK|WARN|BAD)$/);
    assert.match(await text(page, '#reading'), /RTT [\d.]+ ms · process [\d.]+ ms · gap/);
    await page.selectOption('#span', '60');
    await sleep(3000); // a little history for the screenshot
    assert.ok(await saveScreenshot(page, screenshot));
    // A phone screen: the HUD reflows to two columns and nothing overflows sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    await sleep(300);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1));
    await saveScreenshot(page, screenshot.replace('.png', '-phone.png'));
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await t.test('STOP freezes the numbers and the button turns back', async () => {
    await page.click('#start');
    await waitFor('button back to START', async () => (await text(page, '#start')) === 'START', 10000);
    await sleep(500); // samples already in flight
    const points = await page.locator('#chart').getAttribute('data-points');
    const seq = (await text(page, '#h-age')).split('·')[0];
    await sleep(1500);
    assert.equal(await page.locator('#chart').getAttribute('data-points'), points);
    assert.equal((await text(page, '#h-age')).split('·')[0], seq);
  });

  await t.test('an invalid target shows the error reply next to the box', async () => {
    await page.fill('#target', BAD_TARGET);
    await page.click('#add');
    await waitFor('an error reply', async () => /\berr\b/.test(await page.locator('#reply').getAttribute('class')), 10000);
    const reply = await text(page, '#reply');
    assert.match(reply, /^add_target /);
    assert.doesNotMatch(reply, /no reply within|not connected/);
  });

  await t.test('a target named like HTML is shown as text', async () => {
    // Through the agent: its reply (error or not) names the target.
    await page.fill('#target', XSS);
    await page.click('#add');
    await waitFor('a reply', async () => !/pending/.test(await page.locator('#reply').getAttribute('class')), 10000);
    assert.ok((await text(page, '#reply')).includes(XSS));
    // Through retained payloads of a second agent, as a hostile publisher could send them.
    const c = await mqttClient(broker.mqttUrl);
    const slug = XSS.replace(/[^A-Za-z0-9._-]/g, '_');
    await publish(c, 'netstab/xss-agent/availability', 'online');
    await publish(c, 'netstab/xss-agent/state', { agent: 'xss-agent', running: true, targets: [{ target: XSS, slug, address: XSS }] });
    await publish(c, `netstab/xss-agent/targets/${slug}/stats`, { target: XSS, address: XSS, status: 'BAD', reason: XSS,
      sent: 1, received: 0, lost: 1, loss_pct: 100 });
    await publish(c, `netstab/xss-agent/targets/${slug}/incidents`, { target: XSS, incidents: [{ id: 1,
      start: new Date().toISOString(), end: null, duration_s: 1, probes_lost: 1, worst_status: 'BAD', reason: XSS }] });
    await waitFor('xss-agent listed', async () => (await page.locator('#agent option[value="xss-agent"]').count()) === 1);
    await page.selectOption('#agent', 'xss-agent');
    await waitFor('the target listed as text', async () => (await text(page, '#targets')).includes(XSS));
    await waitFor('the reason as text', async () => (await text(page, '#h-reason')) === XSS);
    assert.ok((await text(page, '#chart-title')).includes(XSS));
    assert.ok((await text(page, '#incidents tbody')).includes(XSS));
    assert.equal(await page.locator('img').count(), 0);
    assert.deepEqual(browser.dialogs, []);
    for (const topic of ['availability', 'state', `targets/${slug}/stats`, `targets/${slug}/incidents`]) {
      await publish(c, `netstab/xss-agent/${topic}`, '');
    }
    c.end(true);
    await page.selectOption('#agent', agent);
    await waitFor('back on the agent', async () => (await text(page, '#agent-avail')) === 'online');
  });

  await t.test('an agent killed with SIGKILL is shown offline', async () => {
    await proc.kill('SIGKILL');
    await waitFor('offline banner', async () => /^agent offline since \d\d:\d\d:\d\d$/.test(await text(page, '#banner')), 10000);
    assert.match(await page.locator('#hud').getAttribute('class'), /\boffline\b/);
    assert.equal(await text(page, '#agent-avail'), 'offline');
    assert.equal(await text(page, '#h-status'), 'OFFLINE');
    assert.equal(await page.locator('#start').isDisabled(), true);
  });

  await t.test('no request left for another host and no page error', async () => {
    assert.deepEqual(browser.foreign, []);
    assert.deepEqual(browser.errors, []);
  });
}
