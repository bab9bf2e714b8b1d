// Shared machinery of the e2e suites: a real mosquitto (plain MQTT + websockets listener serving the
// built page), the page built once, headless Chromium through playwright-core (Firefox lives in
// driver.mjs), and helpers to start agents (the real netstab or the fake agent) as child processes.
// Every wait is bounded.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';

const here = dirname(fileURLToPath(import.meta.url));
export const webDir = resolve(here, '..');
export const repoRoot = resolve(webDir, '..');
export const chromiumPath = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const mosquittoPath = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';

// Why the suite cannot run here, or null.
export function missingTools() {
  if (!existsSync(chromiumPath)) return `chromium not found at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_BIN)`;
  if (!existsSync(mosquittoPath)) return `mosquitto not found at ${mosquittoPath}`;
  if (!existsSync(join(webDir, 'node_modules', 'playwright-core'))) return 'web/node_modules missing (run npm ci in web/)';
  return null;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what, fn, timeoutMs = 10000, stepMs = 50) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(stepMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last})`);
}

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function canConnect(port) {
  return new Promise((res) => {
    const c = tcpConnect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      res(true);
    });
    c.once('error', () => res(false));
  });
}

// Temp directories this process made (the built page, agents' history files); deleted when it exits, since an
// agent or the page may still use them until then.
const tempDirs = [];
process.once('exit', () => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(prefix) {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

// The built page: NETSTAB_WEB_DIR (e.g. build/dev/web) if set, else built once into a temp dir.
let distPromise = null;
export function builtPage() {
  if (process.env.NETSTAB_WEB_DIR) return Promise.resolve(resolve(process.env.NETSTAB_WEB_DIR));
  distPromise ??= (async () => {
    const { buildDashboard } = await import('../build.mjs');
    // mosquitto started as root drops to its own user, which must be able to read the page.
    const out = tempDir('netstab-web-dist-');
    await chmod(out, 0o755);
    return buildDashboard(out);
  })();
  return distPromise;
}

// Starts mosquitto with a plain MQTT listener and a websockets listener serving httpDir.
// users: optional {name: password} -> password file and allow_anonymous false.
export async function startMosquitto({ httpDir, users = null }) {
  const dir = await mkdtemp(join(tmpdir(), 'netstab-web-mosq-'));
  await chmod(dir, 0o755); // readable by the mosquitto user it drops to when started as root
  const mqttPort = await freePort();
  const wsPort = await freePort();
  let conf = (await readFile(join(webDir, 'mosquitto-dev.conf.in'), 'utf8'))
    .replaceAll('@MQTT_PORT@', String(mqttPort))
    .replaceAll('@WS_PORT@', String(wsPort))
    .replaceAll('@HTTP_DIR@', httpDir);
  if (users) {
    const pwfile = join(dir, 'passwd');
    await writeFile(pwfile, '');
    for (const [u, p] of Object.entries(users)) {
      await run('mosquitto_passwd', ['-b', pwfile, u, p]);
    }
    await chmod(pwfile, 0o644);
    conf = conf.replace('allow_anonymous true', `allow_anonymous false\npassword_file ${pwfile}`);
  }
  await writeFile(join(dir, 'mosquitto.conf'), conf);
  let stderr = '';
  let proc = null;
  const start = async () => {
    proc = spawn(mosquittoPath, ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr.on('data', (d) => (stderr += d));
    await waitFor('mosquitto to listen', async () => (await canConnect(mqttPort)) && (await canConnect(wsPort)), 5000);
  };
  await start();
  return {
    mqttPort,
    wsPort,
    url: `http://127.0.0.1:${wsPort}/`,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    stderr: () => stderr,
    // Stops the broker and starts it again on the same ports (for reconnect tests).
    pause: () => stopProcess(proc),
    resume: start,
    async stop() {
      await stopProcess(proc);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function run(cmd, args) {
  return new Promise((res, rej) => {
    const p = spawn(cmd, args, { stdio: 'ignore' });
    p.once('error', rej);
    p.once('exit', (code) => (code === 0 ? res() : rej(new Error(`${cmd} exited ${code}`))));
  });
}

// Starts an agent process; resolves once its availability "online" is seen on the broker.
// historyPath: the history file to use (default: a new one in a temp directory); env: more variables for it.
export async function startAgent({ command, args, broker, agent, base = 'netstab', timeoutMs = 10000, historyPath = null,
  env: extraEnv = {} }) {
  // netstab reads NETSTAB_* variables as settings and refuses unknown ones, so the test's own
  // variables (NETSTAB_BIN, NETSTAB_UPDATE_SCREENSHOT...) are not passed on.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NETSTAB_')));
  // Each agent keeps its history in a file of its own, not in the working directory.
  env.NETSTAB_HISTORY_PATH = historyPath ?? join(tempDir('netstab-e2e-'), 'history.db');
  Object.assign(env, extraEnv);
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  let exited = null;
  const exit = new Promise((r) => proc.once('exit', (code, signal) => r((exited = { code, signal }))));
  const watcher = await mqttClient(broker);
  try {
    await new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`agent ${agent} not online within ${timeoutMs} ms; output:\n${output}`)), timeoutMs);
      watcher.on('message', (topic, payload) => {
        if (payload.toString() === 'online') {
          clearTimeout(t);
          res();
        }
      });
      watcher.subscribe(`${base}/${agent}/availability`);
      exit.then(() => {
        clearTimeout(t);
        rej(new Error(`agent exited early (${JSON.stringify(exited)}); output:\n${output}`));
      });
    });
  } finally {
    watcher.end(true);
  }
  return {
    proc,
    output: () => output,
    kill: (signal = 'SIGTERM') => stopProcess(proc, signal),
  };
}

export async function stopProcess(proc, signal = 'SIGTERM') {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((r) => proc.once('exit', r));
  proc.kill(signal);
  const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(t);
}

export function mqttClient(url, opts = {}) {
  return new Promise((res, rej) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    c.once('connect', () => res(c));
    c.once('error', (e) => {
      c.end(true);
      rej(e);
    });
  });
}

export function publish(client, topic, payload, retain = true) {
  return new Promise((res, rej) =>
    client.publish(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1, retain }, (e) =>
      e ? rej(e) : res(),
    ),
  );
}

// Headless Chromium from Debian with a fresh profile; requests to any host other than the broker's
// are blocked and recorded in `foreign`.
export async function openBrowser(allowedOrigin) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const foreign = [];
  const errors = [];
  const dialogs = [];
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.protocol === 'data:' || u.protocol === 'blob:' || `${u.protocol}//${u.host}` === allowedOrigin) return route.continue();
    foreign.push(route.request().url());
    return route.abort();
  });
  context.on('websocket', () => {});
  const newPage = async () => {
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      d.dismiss().catch(() => {});
    });
    page.on('websocket', (ws) => {
      const u = new URL(ws.url());
      if (`http://${u.host}` !== allowedOrigin) foreign.push(ws.url());
    });
    return page;
  };
  return { browser, context, newPage, foreign, errors, dialogs, close: () => browser.close() };
}

// Saves a full-page screenshot in test-artifacts/, and in docs/ too with NETSTAB_UPDATE_SCREENSHOT=1 unless
// docs is false (for screenshots the documentation does not show).
export async function saveScreenshot(page, name = 'dashboard.png', { docs = true } = {}) {
  const dir = join(repoRoot, 'test-artifacts');
  await mkdir(dir, { recursive: true });
  const file = join(dir, name);
  await page.screenshot({ path: file, fullPage: true });
  if (docs && process.env.NETSTAB_UPDATE_SCREENSHOT === '1') {
    await mkdir(join(repoRoot, 'docs'), { recursive: true });
    await copyFile(file, join(repoRoot, 'docs', name));
  }
  return file;
}

// Why ping-blocking rules cannot be installed here (not root, no nft), or null.
export function missingFirewall() {
  if (process.getuid?.() !== 0) return 'needs root (an nftables table that makes a loopback address unreachable)';
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'nft (nftables) not found';
  }
  return null;
}

// An nftables table (inet, input hook) that answers ICMP echo requests to the loopback `address` with
// "destination unreachable (host unreachable)": every probe comes back as unreachable, none times out, and no
// packet leaves loopback. The table is named after this process, so parallel runs do not meet; remove()
// deletes it, and so does an exit handler in case the test dies before its cleanup.
export function rejectPingsTo(address, name = 'netstab_web_e2e') {
  const table = `${name}_${process.pid}`;
  const del = () => {
    try {
      execFileSync('nft', ['delete', 'table', 'inet', table], { stdio: 'ignore' });
    } catch {}
  };
  const onExit = () => del();
  let added = false;
  // An interrupted run (Ctrl-C, the runner's SIGTERM) leaves through process.exit, so onExit still runs.
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
    if (process.listenerCount(signal) === 0) process.once(signal, () => process.exit(code));
  }
  return {
    add() {
      const rules = `table inet ${table} {\n  chain input {\n    type filter hook input priority 0; policy accept;\n` +
        `    ip daddr ${address} icmp type echo-request reject with icmp type host-unreachable\n  }\n}\n`;
      execFileSync('nft', ['-f', '-'], { input: rules });
      if (!added) process.on('exit', onExit);
      added = true;
    },
    remove() {
      if (added) del();
      added = false;
      process.off('exit', onExit);
    },
  };
}
