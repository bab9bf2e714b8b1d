// The dashboard scenarios shared by the e2e suites: the same steps run against the fake agent and
// against the real netstab, in Chromium and in Firefox (through e2e/driver.mjs). `startAgent(broker,
// agent)` must start the agent process probing 127.0.0.1 and resolve to {kill(signal)} once the agent
// is online.
import assert from 'node:assert/strict';
import { openDashboard } from './driver.mjs';
import { mqttClient, publish, saveScreenshot, sleep, waitFor } from './harness.mjs';

export const XSS = '<img src=x onerror=alert(1)>';
const BAD_TARGET = process.env.NETSTAB_E2E_BAD_TARGET ?? 'bad target!';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

const isNumber = (s) => /^\d+(\.\d+)?$/.test((s ?? '').trim());
const xRange = (page) => page.evaluate(() => window.netstabDashboard.chart.xRange);
const isLive = (page) => page.evaluate(() => window.netstabDashboard.chart.live);
const near = (actual, expected, tolerance, what) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);

// In the page: whether the agent's state is known, what it says, and what the START/STOP button shows.
function drawnRunning(id) {
  const a = window.netstabDashboard.store().agent(id);
  return { has: Boolean(a?.state), running: a?.state?.running ?? null,
    drawn: document.querySelector('#start').classList.contains('stop') };
}

export async function runDashboardScenarios(t, { startAgent, agent, screenshot, engine = 'chromium' }) {
  const { broker, proc, browser, page } = await openDashboard(t, { startAgent, agent, engine });

  await t.test('the page connects and finds the agent', async () => {
    await waitFor('connected', async () => (await page.text('#conn-text')) === 'connected');
    await waitFor(`agent ${agent} selected`, async () => (await page.value('#agent')) === agent);
    await waitFor('agent online', async () => (await page.text('#agent-avail')) === 'online');
    await waitFor('START/STOP enabled', async () => page.enabled('#start'));
    // The next steps read the button's label: wait until it shows the agent's state, not the page's default.
    const drawn = (d) => d.has && d.drawn === d.running;
    await waitFor('the agent\'s state drawn', async () => drawn(await page.evaluate(drawnRunning, agent)));
  });

  await t.test('START makes RTT numbers and chart points appear', async () => {
    if ((await page.text('#start')) === 'STOP') {
      await page.click('#start');
      await waitFor('button back to START', async () => (await page.text('#start')) === 'START');
    }
    await page.fill('#target', '127.0.0.1');
    await page.click('#start');
    await waitFor('button turns into STOP', async () => (await page.text('#start')) === 'STOP', 10000);
    assert.match(await page.attr('#start', 'class'), /\bstop\b/);
    await waitFor('an RTT number', async () => isNumber(await page.text('#h-rtt')), 10000);
    await waitFor('a process latency number', async () => isNumber(await page.text('#h-proc')), 10000);
    await waitFor('chart points', async () => Number(await page.attr('#chart', 'data-points')) >= 5, 10000);
    await waitFor('stats in the HUD', async () => isNumber(await page.text('#h-loss')), 10000);
    assert.match(await page.text('#h-status'), /^(OK|WARN|BAD)$/);
    assert.match(await page.text('#reading'), /RTT [\d.]+ ms · process [\d.]+ ms · gap/);
    await page.select('#span', '60');
    await sleep(3000); // a little history for the screenshot
    assert.ok(await saveScreenshot(page, screenshot));
  });

  await t.test('zoom and pan of the chart', async () => {
    const span = 60; // chosen above
    await waitFor('the chart follows now', () => isLive(page));
    const over = await page.box('#chart .u-over');
    assert.ok(over && over.width > 300, `plot area too small: ${JSON.stringify(over)}`);
    const y = over.y + over.height / 2;
    const at = (f) => over.x + over.width * f;

    // Drag-select from 30 % to 70 % of the width zooms the x range to that part.
    const before = await xRange(page);
    near(before.max - before.min, span, 0.01, 'live range width');
    await page.mouse.move(at(0.3), y);
    await page.mouse.down();
    await page.mouse.move(at(0.7), y, 8);
    await page.mouse.up();
    const zoomed = await waitFor('the x range to shrink', async () => {
      const r = await xRange(page);
      return r.max - r.min < span * 0.9 ? r : null;
    });
    near(zoomed.max - zoomed.min, span * 0.4, span * 0.05, 'zoomed width');
    near(zoomed.min, before.min + span * 0.3, 2.5, 'zoomed start'); // "now" moved a little since `before`
    assert.equal(await isLive(page), false);
    assert.equal(await page.enabled('#live'), true, 'LIVE offered while zoomed');

    // New samples keep arriving, and the zoom stays where the person put it.
    const points = Number(await page.attr('#chart', 'data-points'));
    await waitFor('more samples', async () => Number(await page.attr('#chart', 'data-points')) > points, 5000);
    assert.deepEqual(await xRange(page), zoomed);

    // Shift+drag to the right by a quarter of the width pans to earlier times, same width.
    const width = zoomed.max - zoomed.min;
    await page.keyDown('Shift');
    await page.mouse.move(at(0.4), y);
    await page.mouse.down();
    await page.mouse.move(at(0.65), y, 8);
    await page.mouse.up();
    await page.keyUp('Shift');
    const panned = await xRange(page);
    near(panned.max - panned.min, width, 1e-6, 'width after pan');
    near(panned.min, zoomed.min - width * 0.25, width * 0.03, 'start after pan');

    // The wheel zooms in around the cursor.
    await page.mouse.move(at(0.5), y);
    await page.mouse.wheel(-100);
    const wheeled = await waitFor('the wheel zoom', async () => {
      const r = await xRange(page);
      return r.max - r.min < width * 0.99 ? r : null;
    });
    near(wheeled.max - wheeled.min, width * 0.8, width * 0.01, 'width after wheel');
    near((wheeled.min + wheeled.max) / 2, (panned.min + panned.max) / 2, width * 0.03, 'centre after wheel');

    // A double-click returns to following now with the chosen span.
    await page.mouse.dblclick(at(0.5), y);
    await waitFor('live again', () => isLive(page));
    const back = await xRange(page);
    near(back.max - back.min, span, 0.01, 'width after double-click');
    near(back.max, Date.now() / 1000, 3, 'following now');
    assert.equal(await page.enabled('#live'), false);
  });

  await t.test('a phone screen: no sideways scroll, HUD numbers visible, START reachable', async () => {
    await page.setViewport(PHONE.width, PHONE.height);
    await waitFor('the phone layout', () => page.evaluate(() => window.innerWidth === 390));
    await sleep(300); // the chart's ResizeObserver
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    assert.ok(widths.scroll <= widths.inner, `page scrolls sideways: ${JSON.stringify(widths)}`);
    for (const id of ['vd-head', 'h-rtt', 'h-proc', 'h-loss', 'h-jit', 'h-rto', 'h-status']) {
      // The newest sample may be a lost probe (no process latency): wait for one with a value.
      await waitFor(`#${id} to show a value`, async () => !['', '—'].includes((await page.text(`#${id}`)).trim()), 5000);
      const v = await page.evaluate((sel) => {
        const e = document.querySelector(sel);
        e.scrollIntoView({ block: 'center' });
        const r = e.getBoundingClientRect();
        const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
        return { text: e.textContent, left: r.left, right: r.right, width: r.width, clipped: e.scrollWidth > e.clientWidth,
          onTop: hit === e || e.contains(hit), visible: getComputedStyle(e).visibility === 'visible' };
      }, `#${id}`);
      assert.ok(v.text.trim() !== '' && v.text !== '—', `#${id} shows no value: ${JSON.stringify(v)}`);
      assert.ok(v.width > 0 && v.left >= 0 && v.right <= PHONE.width, `#${id} outside the screen: ${JSON.stringify(v)}`);
      assert.ok(!v.clipped && v.onTop && v.visible, `#${id} hidden or cut: ${JSON.stringify(v)}`);
    }
    const start = await page.box('#start');
    assert.ok(start.x >= 0 && start.x + start.width <= PHONE.width && start.width >= 40 && start.height >= 30,
      `START not reachable: ${JSON.stringify(start)}`);
    assert.ok(await page.evaluate(() => {
      const e = document.querySelector('#start');
      const r = e.getBoundingClientRect();
      return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === e;
    }), 'START is covered by something else');
    await saveScreenshot(page, screenshot.replace('.png', '-phone.png'));
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.setViewport(DESKTOP.width, DESKTOP.height);
  });

  await t.test('STOP freezes the numbers and the button turns back', async () => {
    await page.click('#start');
    await waitFor('button back to START', async () => (await page.text('#start')) === 'START', 10000);
    await sleep(500); // samples already in flight
    const points = await page.attr('#chart', 'data-points');
    const seq = (await page.text('#h-age')).split('·')[0];
    const rtt = await page.text('#h-rtt');
    await sleep(1500);
    assert.equal(await page.attr('#chart', 'data-points'), points);
    assert.equal((await page.text('#h-age')).split('·')[0], seq);
    assert.equal(await page.text('#h-rtt'), rtt);
  });

  await t.test('a click does what the button shows while a newer state waits for the next frame', async () => {
    assert.equal(await page.text('#start'), 'START');
    // Frames are held, so the state the agent publishes after another client's start is in the page's model but
    // not on the button; a click on START must then send start, not stop.
    // The commands on the agent's topic show what the page sent.
    const c = await mqttClient(broker.mqttUrl);
    const commands = [];
    c.on('message', (_topic, payload) => commands.push(JSON.parse(payload.toString())));
    try {
      await page.evaluate(() => {
        window.heldFrames = [];
        window.realFrame = window.requestAnimationFrame;
        window.requestAnimationFrame = (cb) => window.heldFrames.push(cb);
      });
      await new Promise((res, rej) => c.subscribe(`netstab/${agent}/cmd`, { qos: 1 }, (e) => (e ? rej(e) : res())));
      await publish(c, `netstab/${agent}/cmd`, { id: 'other-client', cmd: 'start' }, false);
      await waitFor('the newer state in the model', () => page.evaluate(drawnRunning, agent).then((d) => d.running === true));
      assert.equal(await page.text('#start'), 'START', 'frames are held: the label is the old one');
      await page.click('#start');
      const control = (m) => m.id !== 'other-client' && ['start', 'stop', 'set_target'].includes(m.cmd);
      const sent = await waitFor('the page\'s command', () => commands.find(control) ?? null);
      assert.match(sent.cmd, /^(start|set_target)$/, `a click on START sent ${JSON.stringify(sent)}`);
      await waitFor('the start\'s reply', async () => (await page.text('#reply')) === 'start: ok', 10000);
    } finally {
      c.end(true);
      await page.evaluate(() => {
        if (window.realFrame) window.requestAnimationFrame = window.realFrame;
        for (const cb of (window.heldFrames ?? []).splice(0)) cb(performance.now());
      });
    }
    await waitFor('button turns into STOP', async () => (await page.text('#start')) === 'STOP', 10000);
    await page.click('#start');
    await waitFor('button back to START', async () => (await page.text('#start')) === 'START', 10000);
  });

  await t.test('an invalid target shows the error reply next to the box', async () => {
    await page.fill('#target', BAD_TARGET);
    await page.click('#add');
    await waitFor('an error reply', async () => /\berr\b/.test(await page.attr('#reply', 'class')), 10000);
    const reply = await page.text('#reply');
    assert.match(reply, /^add_target /);
    assert.doesNotMatch(reply, /no reply within|not connected/);
  });

  await t.test('a target named like HTML is shown as text', async () => {
    // Through the agent: its reply (error or not) names the target.
    await page.fill('#target', XSS);
    await page.click('#add');
    await waitFor('a reply', async () => !/pending/.test(await page.attr('#reply', 'class')), 10000);
    assert.ok((await page.text('#reply')).includes(XSS));
    // Through retained payloads of a second agent, as a hostile publisher could send them.
    const c = await mqttClient(broker.mqttUrl);
    const slug = XSS.replace(/[^A-Za-z0-9._-]/g, '_');
    await publish(c, 'netstab/xss-agent/availability', 'online');
    await publish(c, 'netstab/xss-agent/state', { agent: 'xss-agent', running: true, targets: [{ target: XSS, slug, address: XSS }] });
    const fault = { segment: 'isp', metric: 'loss', hop: 1, address: XSS, since: null, reason: XSS };
    await publish(c, `netstab/xss-agent/targets/${slug}/stats`, { target: XSS, address: XSS, status: 'BAD', reason: XSS,
      sent: 1, received: 0, lost: 1, loss_pct: 100, fault });
    await publish(c, `netstab/xss-agent/targets/${slug}/path`, { target: XSS, address: XSS, ts: new Date().toISOString(),
      hops: [{ ttl: 1, address: XSS, segment: 'isp', sent: 1, lost: 1, loss_pct: 100, rtt_ms: { p50: null, p95: null },
        rate_limited: false }], fault });
    await publish(c, `netstab/xss-agent/targets/${slug}/incidents`, { target: XSS, incidents: [{ id: 1,
      start: new Date().toISOString(), end: null, duration_s: 1, probes_lost: 1, worst_status: 'BAD', reason: XSS }] });
    await waitFor('xss-agent listed', async () => (await page.count('#agent option[value="xss-agent"]')) === 1);
    await page.select('#agent', 'xss-agent');
    await waitFor('the target listed as text', async () => (await page.text('#targets')).includes(XSS));
    await waitFor('the reason as text', async () => (await page.text('#h-reason')) === XSS);
    assert.ok((await page.text('#chart-title')).includes(XSS));
    assert.ok((await page.text('#incidents tbody')).includes(XSS));
    await waitFor('the verdict as text', async () => (await page.text('#vd-reason')) === XSS);
    assert.equal(await page.text('#vd-head'), `Your ISP: loss starts at hop 1 (${XSS})`);
    await waitFor('the hop as text', async () => (await page.text('#hops tbody')).includes(XSS));
    // Events are not retained: this one is sent while the page follows the agent.
    await publish(c, 'netstab/xss-agent/events', { type: 'fault_change', ts: new Date().toISOString(), target: XSS,
      from: 'ok', to: 'isp', reason: XSS }, false);
    await waitFor('the event as text', async () => (await page.text('#events')).includes(XSS));
    assert.equal(await page.count('img'), 0);
    assert.deepEqual(browser.dialogs, []);
    for (const topic of ['availability', 'state', `targets/${slug}/stats`, `targets/${slug}/incidents`, `targets/${slug}/path`]) {
      await publish(c, `netstab/xss-agent/${topic}`, '');
    }
    c.end(true);
    await page.select('#agent', agent);
    await waitFor('back on the agent', async () => (await page.text('#agent-avail')) === 'online');
  });

  await t.test('an agent killed with SIGKILL is shown offline', async () => {
    await proc.kill('SIGKILL');
    await waitFor('offline banner', async () => /^agent offline since \d\d:\d\d:\d\d$/.test(await page.text('#banner')), 10000);
    assert.match(await page.attr('#hud', 'class'), /\boffline\b/);
    assert.equal(await page.text('#agent-avail'), 'offline');
    assert.equal(await page.text('#h-status'), 'OFFLINE');
    assert.equal(await page.enabled('#start'), false);
  });

  await t.test('no request left for another host and no page error', async () => {
    assert.deepEqual(browser.foreign, []);
    assert.deepEqual(await browser.foreignSockets(), []);
    assert.deepEqual(browser.errors, []);
  });
}
