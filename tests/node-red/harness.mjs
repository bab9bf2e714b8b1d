// Machinery of the Node-RED test: a real mosquitto, the real netstab, a headless Node-RED child process
// running a copy of docs/examples/node-red-flow.json, a listener on Node-RED's editor websocket (/comms)
// that receives what the flow's debug nodes show, and an nftables table that makes a loopback address stop
// answering pings. Everything listens on 127.0.0.1 only; every wait is bounded; every start has a stop.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import WebSocket from 'ws';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..');
export const flowPath = join(repoRoot, 'docs', 'examples', 'node-red-flow.json');
export const netstabBin = resolve(repoRoot, process.env.NETSTAB_BIN ?? 'build/dev/service/netstab');
export const mosquittoPath = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';
const nodeRedMain = join(here, 'node_modules', 'node-red', 'red.js');

// Why the test cannot run here, or null. `privileged` tells whether the reason is missing privileges
// (REQUIRE_PRIVILEGED_TESTS=1 turns those into failures, like the other suites).
export function missingTools() {
  if (!existsSync(nodeRedMain)) return { reason: 'tests/node-red/node_modules missing (run tests/node-red/run or npm ci there)' };
  if (!existsSync(mosquittoPath)) return { reason: `mosquitto not found at ${mosquittoPath}` };
  if (!existsSync(netstabBin)) return { reason: `netstab binary not found at ${netstabBin} (build it, or set NETSTAB_BIN)` };
  if (process.getuid?.() !== 0) return { reason: 'needs root (nftables rule that makes a loopback target stop answering)', privileged: true };
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore' });
  } catch {
    return { reason: 'nft (nftables) not found' };
  }
  return null;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// An error that ends a waitFor at once (a child that exited will not come back), where other errors are
// retried until the deadline.
export function fatal(message) {
  return Object.assign(new Error(message), { fatal: true });
}

export async function waitFor(what, fn, timeoutMs = 10000, stepMs = 50) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      if (e.fatal) throw e;
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

// History directories of the agents this process started; deleted when it exits (an agent may write until then).
const historyDirs = [];
process.once('exit', () => {
  for (const d of historyDirs) rmSync(d, { recursive: true, force: true });
});

// Environment for children: the test's own NETSTAB_* variables (NETSTAB_BIN...) are not settings, and
// netstab refuses unknown ones; NODE_TEST_CONTEXT belongs to this test runner, not to Node-RED.
function childEnv(extra = {}) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('NETSTAB_') && k !== 'NODE_TEST_CONTEXT' && k !== 'NODE_OPTIONS'),
  );
  // netstab keeps its history in a file of its own, not in the working directory.
  const dir = mkdtempSync(join(tmpdir(), 'netstab-nodered-'));
  historyDirs.push(dir);
  const history = { NETSTAB_HISTORY_PATH: join(dir, 'history.db') };
  return { ...env, ...history, ...extra };
}

// If the test process is interrupted (Ctrl-C, the runner's SIGTERM) the cleanup hooks do not run: the
// process then exits through process.exit, so the 'exit' handlers below kill the children and delete the
// nftables table synchronously.
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.once(signal, () => process.exit(code));
}

// A child process whose output is kept for failure messages; killed when this process exits.
function startChild(command, args, env) {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  const killOnExit = () => proc.kill('SIGKILL');
  process.on('exit', killOnExit);
  proc.once('exit', () => process.off('exit', killOnExit));
  return { proc, output: () => output };
}

export async function stopProcess(proc, signal = 'SIGTERM') {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((r) => proc.once('exit', r));
  proc.kill(signal);
  const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(t);
}

export async function startMosquitto() {
  const dir = await mkdtemp(join(tmpdir(), 'netstab-nr-mosq-'));
  await chmod(dir, 0o755); // mosquitto started as root drops to its own user
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(conf, ['allow_anonymous true', 'persistence false', 'log_dest stderr', 'log_type error',
    'log_type warning', `listener ${port} 127.0.0.1`, ''].join('\n'));
  const child = startChild(mosquittoPath, ['-c', conf], childEnv());
  await waitFor(`mosquitto to listen on ${port}`, () => canConnect(port), 5000);
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    output: child.output,
    async stop() {
      await stopProcess(child.proc);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function mqttClient(url) {
  return new Promise((res, rej) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000 });
    c.once('connect', () => res(c));
    c.once('error', (e) => {
      c.end(true);
      rej(e);
    });
  });
}

// Watches one agent's topics on the broker: every message with its arrival time, parsed when JSON.
export async function watchAgent(url, base, agent) {
  const client = await mqttClient(url);
  const messages = [];
  client.on('message', (topic, payload) => {
    const text = payload.toString();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {}
    messages.push({ at: Date.now(), topic, text, json });
  });
  await client.subscribeAsync(`${base}/${agent}/#`, { qos: 1 });
  return {
    messages,
    publish: (topic, payload) => client.publishAsync(topic, JSON.stringify(payload), { qos: 1 }),
    latest(topic) {
      for (let i = messages.length - 1; i >= 0; i--) if (messages[i].topic === topic) return messages[i];
      return null;
    },
    stop: () => client.endAsync(true),
  };
}

// Starts netstab; resolves once its availability "online" is on the broker.
export async function startNetstab({ brokerUrl, agent, args, env = {}, timeoutMs = 15000 }) {
  const child = startChild(netstabBin, ['--broker', brokerUrl, '--agent', agent, ...args], childEnv(env));
  const watcher = await mqttClient(brokerUrl);
  let online = false;
  watcher.on('message', (_topic, payload) => {
    if (payload.toString() === 'online') online = true;
  });
  try {
    await watcher.subscribeAsync(`netstab/${agent}/availability`);
    await waitFor('netstab online', async () => {
      if (child.proc.exitCode !== null) throw fatal(`netstab exited ${child.proc.exitCode}`);
      return online;
    }, timeoutMs);
  } catch (e) {
    await stopProcess(child.proc);
    throw new Error(`${e.message}\nnetstab output:\n${child.output()}`);
  } finally {
    await watcher.endAsync(true);
  }
  return { proc: child.proc, output: child.output, stop: () => stopProcess(child.proc) };
}

// An nftables table that drops ICMP echo requests to `address` on the input hook: the request leaves
// the socket normally (no send error) and is never answered, as when a host goes away. The table is
// removed by remove(), and also by a process exit handler in case the test dies before its cleanup.
export function dropPingsTo(address, table = 'netstab_nodered_test') {
  const del = () => {
    try {
      execFileSync('nft', ['delete', 'table', 'inet', table], { stdio: 'ignore' });
    } catch {}
  };
  del(); // a table left over by a killed run
  const onExit = () => del();
  process.on('exit', onExit);
  let added = false;
  return {
    add() {
      const rules = `table inet ${table} {\n  chain input {\n    type filter hook input priority 0; policy accept;\n` +
        `    ip daddr ${address} icmp type echo-request drop\n  }\n}\n`;
      execFileSync('nft', ['-f', '-'], { input: rules });
      added = true;
    },
    remove() {
      if (added) del();
      added = false;
      process.off('exit', onExit);
    },
  };
}

// The example flow, rewritten for the test: the broker node points at the test's mosquitto and the tab's
// NETSTAB_AGENT is the test's agent. Nothing else changes; the debug nodes stay as they are.
export async function prepareFlow(brokerPort, agent) {
  const flow = JSON.parse(await readFile(flowPath, 'utf8'));
  const brokers = flow.filter((n) => n.type === 'mqtt-broker');
  const tabs = flow.filter((n) => n.type === 'tab');
  if (brokers.length !== 1 || tabs.length !== 1) throw new Error('the example flow should have one tab and one mqtt-broker');
  brokers[0].broker = '127.0.0.1';
  brokers[0].port = String(brokerPort);
  const agentVar = (tabs[0].env ?? []).find((e) => e.name === 'NETSTAB_AGENT');
  if (!agentVar) throw new Error('the example flow tab has no NETSTAB_AGENT variable');
  agentVar.value = agent;
  return flow;
}

// Node-RED as a child process (node_modules/node-red/red.js) with its own user directory, on loopback.
export async function startNodeRed(flow) {
  const userDir = await mkdtemp(join(tmpdir(), 'netstab-nr-userdir-'));
  const port = await freePort();
  await writeFile(join(userDir, 'flows.json'), JSON.stringify(flow, null, 2));
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: port,
    userDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    diagnostics: { enabled: false, ui: false },
    runtimeState: { enabled: false, ui: false },
    telemetry: { enabled: false, updateNotification: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false, allowUpload: false } },
    functionExternalModules: false,
    editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
    logging: { console: { level: 'info', metrics: false, audit: false } },
  };
  await writeFile(join(userDir, 'settings.js'), `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  const child = startChild(process.execPath, [nodeRedMain, '--settings', join(userDir, 'settings.js'), '--userDir', userDir], childEnv());
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopProcess(child.proc);
    await rm(userDir, { recursive: true, force: true });
  };
  try {
    await waitFor('Node-RED to start its flows', async () => {
      if (child.proc.exitCode !== null) throw fatal(`Node-RED exited ${child.proc.exitCode}`);
      return /Started flows/.test(child.output());
    }, 30000, 100);
  } catch (e) {
    const out = child.output();
    await stop();
    throw new Error(`${e.message}\nNode-RED output:\n${out}`);
  }
  return {
    url,
    output: child.output,
    // The admin API's inject endpoint: what the editor's inject button calls.
    async inject(nodeId) {
      const r = await fetch(`${url}/inject/${nodeId}`, { method: 'POST' });
      if (r.status !== 200) throw new Error(`POST /inject/${nodeId}: HTTP ${r.status} ${await r.text()}`);
    },
    stop,
  };
}

// Listens on the editor's websocket like an open Debug sidebar: each debug node's output arrives as
// {topic:"debug", data:{id, name, msg, format}}, with objects JSON-encoded; node warnings and errors arrive
// on the same topic with a `level` (30 warn, 20 error).
export async function debugSidebar(nodeRedUrl) {
  const ws = new WebSocket(`${nodeRedUrl.replace('http', 'ws')}/comms`);
  await new Promise((res, rej) => {
    ws.once('open', res);
    ws.once('error', rej);
  });
  const entries = [];
  ws.on('message', (data) => {
    let batch;
    try {
      batch = JSON.parse(data.toString());
    } catch {
      return;
    }
    for (const { topic, data: d } of Array.isArray(batch) ? batch : []) {
      if (topic !== 'debug') continue;
      let value = d.msg;
      if (typeof value === 'string' && /^(Object|array)/.test(d.format ?? '')) {
        try {
          value = JSON.parse(value);
        } catch {}
      }
      entries.push({ at: Date.now(), id: d.id, name: d.name, level: d.level, value, raw: d });
    }
  });
  ws.send(JSON.stringify({ subscribe: 'debug' }));
  return {
    entries,
    from: (name, since = 0) => entries.filter((e) => e.name === name && e.level === undefined && e.at >= since),
    problems: () => entries.filter((e) => e.level !== undefined),
    stop: () => new Promise((r) => {
      ws.once('close', r);
      ws.close();
      setTimeout(r, 1000);
    }),
  };
}
