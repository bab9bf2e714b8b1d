// One small page interface over two drivers, so the dashboard scenarios run unchanged in Chromium
// (playwright-core, Debian's chromium) and in Firefox (puppeteer-core over WebDriver BiDi, Debian's
// firefox-esr). Reads go through page.evaluate and are the same code in both browsers; clicks, typing,
// mouse and wheel go through each driver's real input, so the page sees trusted events.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { builtPage, chromiumPath, mosquittoPath, openBrowser, startMosquitto, webDir } from './harness.mjs';

export const firefoxPath = process.env.FIREFOX_BIN ?? '/usr/bin/firefox-esr';
export const engines = ['chromium', 'firefox'];

// Why the dashboard suites cannot run in this engine here, or null.
export function missingEngine(engine) {
  if (!existsSync(mosquittoPath)) return `mosquitto not found at ${mosquittoPath}`;
  if (engine === 'chromium') {
    if (!existsSync(chromiumPath)) return `chromium not found at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_BIN)`;
    if (!existsSync(join(webDir, 'node_modules', 'playwright-core'))) return 'web/node_modules missing (run npm ci in web/)';
    return null;
  }
  if (!existsSync(firefoxPath)) return `firefox not found at ${firefoxPath} (apt-get install firefox-esr, or set FIREFOX_BIN)`;
  if (!existsSync(join(webDir, 'node_modules', 'puppeteer-core'))) return 'web/node_modules/puppeteer-core missing (run npm ci in web/)';
  return null;
}

// Reads shared by both drivers: plain DOM through evaluate, with one argument (the form both accept).
function reads(page) {
  const ev = (fn, arg) => page.evaluate(fn, arg);
  return {
    evaluate: ev,
    text: (sel) => ev((s) => document.querySelector(s)?.textContent ?? null, sel),
    attr: (sel, name) => ev(([s, n]) => document.querySelector(s)?.getAttribute(n) ?? null, [sel, name]),
    value: (sel) => ev((s) => document.querySelector(s)?.value ?? null, sel),
    enabled: (sel) => ev((s) => { const e = document.querySelector(s); return e !== null && !e.disabled; }, sel),
    count: (sel) => ev((s) => document.querySelectorAll(s).length, sel),
    // Scrolls the element into the middle of the viewport, then gives its box in viewport pixels.
    box: (sel) => ev((s) => {
      const e = document.querySelector(s);
      if (!e) return null;
      e.scrollIntoView({ block: 'center', inline: 'center' });
      const r = e.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    }, sel),
    click: (sel) => page.click(sel),
    goto: (url) => page.goto(url),
    screenshot: (opts) => page.screenshot(opts),
  };
}

function playwrightPage(page) {
  return {
    engine: 'chromium',
    ...reads(page),
    fill: (sel, v) => page.fill(sel, v),
    select: (sel, v) => page.selectOption(sel, v),
    setViewport: (width, height) => page.setViewportSize({ width, height }),
    mouse: {
      move: (x, y, steps = 1) => page.mouse.move(x, y, { steps }),
      down: () => page.mouse.down(),
      up: () => page.mouse.up(),
      dblclick: (x, y) => page.mouse.dblclick(x, y),
      wheel: (deltaY) => page.mouse.wheel(0, deltaY),
    },
    keyDown: (key) => page.keyboard.down(key),
    keyUp: (key) => page.keyboard.up(key),
  };
}

function puppeteerPage(page) {
  return {
    engine: 'firefox',
    ...reads(page),
    fill: (sel, v) => page.locator(sel).fill(v),
    select: (sel, v) => page.select(sel, v),
    setViewport: (width, height) => page.setViewport({ width, height }),
    mouse: {
      move: (x, y, steps = 1) => page.mouse.move(x, y, { steps }),
      down: () => page.mouse.down(),
      up: () => page.mouse.up(),
      dblclick: (x, y) => page.mouse.click(x, y, { count: 2 }),
      wheel: (deltaY) => page.mouse.wheel({ deltaY }),
    },
    keyDown: (key) => page.keyboard.down(key),
    keyUp: (key) => page.keyboard.up(key),
  };
}

// Records every WebSocket the page opens, before any page script runs, so a socket to another host
// is seen in Firefox too (puppeteer reports no WebSocket events there).
function recordSockets() {
  const Native = window.WebSocket;
  const seen = [];
  Object.defineProperty(window, '__e2eSockets', { value: seen });
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      seen.push(String(url));
    }
  };
}

async function openFirefox(allowedOrigin) {
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: firefoxPath,
    headless: true,
    // A fresh profile from puppeteer already turns off updates, telemetry and most background traffic.
    extraPrefsFirefox: { 'network.dns.disablePrefetch': true, 'network.prefetch-next': false },
  });
  const foreign = [];
  const errors = [];
  const dialogs = [];
  const allowedHost = new URL(allowedOrigin).host;
  const pages = [];
  const newPage = async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.evaluateOnNewDocument(recordSockets);
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      const u = new URL(req.url());
      if (u.protocol === 'data:' || u.protocol === 'blob:' || u.host === allowedHost) return req.continue();
      foreign.push(req.url());
      return req.abort();
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      d.dismiss().catch(() => {});
    });
    pages.push(page);
    return puppeteerPage(page);
  };
  // WebSockets the page opened to any other host, read from the recorder above.
  const foreignSockets = async () => {
    const out = [];
    for (const p of pages) {
      const urls = await p.evaluate(() => window.__e2eSockets ?? []);
      out.push(...urls.filter((s) => new URL(s).host !== allowedHost));
    }
    return out;
  };
  return { engine: 'firefox', newPage, foreign, foreignSockets, errors, dialogs, close: () => browser.close() };
}

async function openChromium(allowedOrigin) {
  const b = await openBrowser(allowedOrigin);
  return {
    engine: 'chromium',
    newPage: async () => playwrightPage(await b.newPage()),
    foreign: b.foreign,
    foreignSockets: async () => [], // playwright reports WebSockets itself; they land in `foreign`
    errors: b.errors,
    dialogs: b.dialogs,
    close: b.close,
  };
}

// A fresh headless browser whose pages may only reach allowedOrigin; anything else is blocked and listed.
export function openEngine(engine, allowedOrigin) {
  return engine === 'firefox' ? openFirefox(allowedOrigin) : openChromium(allowedOrigin);
}

// What a dashboard scenario starts with: a broker that serves the built page, one agent started against it
// (startAgent(mqttUrl, agent)) and a page of `engine` open on it. All three are stopped after the test t.
export async function openDashboard(t, { startAgent, agent, engine }) {
  const broker = await startMosquitto({ httpDir: await builtPage() });
  const s = { broker, proc: null, browser: null, page: null };
  t.after(async () => {
    await s.browser?.close();
    await s.proc?.kill('SIGKILL');
    await broker.stop();
  });
  s.proc = await startAgent(broker.mqttUrl, agent);
  s.browser = await openEngine(engine, `http://127.0.0.1:${broker.wsPort}`);
  s.page = await s.browser.newPage();
  await s.page.goto(broker.url);
  return s;
}
