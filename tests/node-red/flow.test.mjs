// The example flow docs/examples/node-red-flow.json in a real, headless Node-RED, against a real mosquitto and
// the real netstab (NETSTAB_BIN, default build/dev/service/netstab).
//
// How the flow's output is observed: the test opens Node-RED's editor websocket (/comms) and subscribes to
// "debug", exactly as an open Debug sidebar does. So the flow runs unchanged, debug nodes included; the test
// only points the broker node at its own mosquitto and sets the tab's NETSTAB_AGENT. The "start"/"stop"
// injects are pressed through the admin API (POST /inject/<id>, what the editor's button calls), and their
// effect is checked on netstab's own topics, watched by an independent MQTT client.
//
// A target going BAD: netstab also probes 127.77.0.1, which answers until the test adds an nftables table
// (inet netstab_nodered_test, input hook) dropping ICMP echo requests to it; the table is deleted on every
// exit path. Needs root (nftables; netstab's ICMP sockets); skipped otherwise, failed under
// REQUIRE_PRIVILEGED_TESTS=1.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  debugSidebar, dropPingsTo, missingTools, prepareFlow, sleep, startMosquitto, startNetstab, startNodeRed,
  waitFor, watchAgent,
} from './harness.mjs';

const agent = 'nr-test';
const live = '127.0.0.1';
const dead = '127.77.0.1';
const names = {
  summary: 'netstab RTT and loss',
  probe: 'netstab RTT per probe',
  alert: 'netstab ALERT: target BAD',
  replies: 'netstab command replies',
};

const missing = missingTools();
if (missing?.privileged && process.env.REQUIRE_PRIVILEGED_TESTS === '1') {
  throw new Error(`REQUIRE_PRIVILEGED_TESTS=1 but ${missing.reason}`);
}

test('Node-RED example flow with mosquitto and netstab', { skip: missing?.reason ?? false, timeout: 300000 }, async (t) => {
  const cleanups = [];
  t.after(async () => {
    for (const stop of cleanups.reverse()) {
      try {
        await stop();
      } catch (e) {
        console.error(`cleanup: ${e.message}`);
      }
    }
  });
  const firewall = dropPingsTo(dead);
  cleanups.push(async () => firewall.remove());
  const broker = await startMosquitto();
  cleanups.push(broker.stop);
  const netstab = await startNetstab({
    brokerUrl: broker.url, agent, args: ['--target', live, '--interval', '200'],
    env: { NETSTAB_CONTROL_ALLOW_LOOPBACK: 'true' },
  });
  cleanups.push(netstab.stop);
  const watch = await watchAgent(broker.url, 'netstab', agent);
  cleanups.push(watch.stop);

  const flow = await prepareFlow(broker.port, agent);
  const nodeNamed = (type, name) => {
    const found = flow.filter((n) => n.type === type && n.name === name);
    assert.equal(found.length, 1, `the flow should have one ${type} node named "${name}"`);
    return found[0];
  };
  for (const name of Object.values(names)) nodeNamed('debug', name);
  const startId = nodeNamed('inject', 'start').id;
  const stopId = nodeNamed('inject', 'stop').id;

  const red = await startNodeRed(flow);
  cleanups.push(red.stop);
  const sidebar = await debugSidebar(red.url);
  cleanups.push(sidebar.stop);

  // Failure messages carry the tails of the children's logs.
  const logs = () => `\n--- Node-RED:\n${red.output().slice(-3000)}\n--- netstab:\n${netstab.output().slice(-3000)}`;
  // Generous: a wait ends when its condition holds, and Node-RED on a loaded machine takes seconds per step.
  const until = (what, fn, ms = 30000) => waitFor(what, fn, ms).catch((e) => {
    throw new Error(`${e.message}${logs()}`);
  });
  const topic = (target, leaf) => `netstab/${agent}/targets/${target}/${leaf}`;
  const fromNetstab = (name, since, pred = () => true) =>
    watch.messages.filter((m) => m.topic === name && m.at >= since && pred(m.json, m));
  const summaries = (target, since = 0) =>
    sidebar.from(names.summary, since).filter((e) => e.value?.agent === agent && e.value?.target === target);

  await t.test('the flow shows RTT and loss from netstab\'s stats and samples', async () => {
    const summary = await until('a summary of 127.0.0.1 in the flow', () =>
      summaries(live).find((e) => typeof e.value.rtt_ms === 'number'));
    const s = summary.value;
    assert.equal(typeof s.loss_pct, 'number');
    assert.ok(['OK', 'WARN', 'BAD'].includes(s.status), `status ${s.status}`);
    assert.equal(typeof s.reason, 'string');
    // The summary is netstab's statistics, field by field.
    const source = fromNetstab(topic(live, 'stats'), 0, (j) => j?.sent === s.sent && j?.received === s.received);
    assert.ok(source.length > 0, `no stats message of netstab matches the flow's summary ${JSON.stringify(s)}`);
    const j = source.at(-1).json;
    assert.equal(s.rtt_ms, j.rtt_ms.avg);
    assert.equal(s.rtt_p95_ms, j.rtt_ms.p95);
    assert.equal(s.loss_pct, j.loss_pct);
    assert.equal(s.status, j.status);

    const probe = await until('an RTT per probe of 127.0.0.1 in the flow', () =>
      sidebar.from(names.probe).find((e) => e.value?.agent === agent && e.value?.target === live && e.value?.status === 'ok'));
    assert.equal(typeof probe.value.rtt_ms, 'number');
    const sample = fromNetstab(topic(live, 'sample'), 0, (x) => x?.seq === probe.value.seq);
    assert.equal(sample.length, 1, `netstab published sample seq ${probe.value.seq} once`);
    assert.equal(probe.value.rtt_ms, sample[0].json.rtt_ms);
    assert.equal(probe.value.process_ms, sample[0].json.process_ms);
  });

  await t.test('the flow\'s stop and start injects stop and resume netstab', async () => {
    const state = `netstab/${agent}/state`;
    const stopAt = Date.now();
    await red.inject(stopId);
    const stopped = await until('netstab state running=false', () =>
      fromNetstab(state, stopAt, (j) => j?.running === false)[0]);
    await until('the stop reply in the flow', () =>
      sidebar.from(names.replies, stopAt).find((e) => e.value?.cmd === 'stop' && e.value?.ok === true));
    // Stopped means quiet: no sample probed after the stop, from netstab or in the flow. netstab stopped before
    // it published the state that says so, and a sample's ts is when it was probed, so samples probed before the
    // stop may still arrive (late on a loaded machine) without failing the check. A stopped agent sends nothing
    // to wait for: only a time can show that nothing comes, well over the 200 ms interval.
    await sleep(1500);
    const probedAfter = fromNetstab(topic(live, 'sample'), 0, (j) => Date.parse(j?.ts) > stopped.at);
    assert.deepEqual(probedAfter.map((m) => m.text), [], 'samples probed after stop');
    const lastSeq = Math.max(-1, ...fromNetstab(topic(live, 'sample'), 0).map((m) => m.json?.seq ?? -1));
    assert.deepEqual(sidebar.from(names.probe, stopped.at).filter((e) => e.value?.target === live && e.value?.seq > lastSeq)
      .map((e) => e.value), [], 'flow probes netstab did not publish, after stop');

    const startAt = Date.now();
    await red.inject(startId);
    await until('netstab state running=true', () => fromNetstab(state, startAt, (j) => j?.running === true)[0]);
    await until('the start reply in the flow', () =>
      sidebar.from(names.replies, startAt).find((e) => e.value?.cmd === 'start' && e.value?.ok === true));
    await until('samples again from netstab', () => fromNetstab(topic(live, 'sample'), startAt, (j) => j?.status === 'ok')[0]);
    await until('RTT per probe again in the flow', () =>
      sidebar.from(names.probe, startAt).find((e) => e.value?.target === live && typeof e.value.rtt_ms === 'number'));
  });

  await t.test('the alert fires once when a target goes BAD', async () => {
    const addAt = Date.now();
    await watch.publish(`netstab/${agent}/cmd`, { cmd: 'add_target', target: dead, interval_ms: 200, timeout_ms: 300, id: 'nr-add' });
    const reply = await until('the add_target reply', () => fromNetstab(`netstab/${agent}/cmd/reply`, addAt, (j) => j?.id === 'nr-add')[0]);
    assert.equal(reply.json.ok, true, reply.text);
    // The alert path first sees the target answering (OK), so BAD is a change.
    await until('127.77.0.1 OK in the flow', () => summaries(dead, addAt).find((e) => e.value.status === 'OK' && e.value.received > 0));
    assert.deepEqual(sidebar.from(names.alert).map((e) => e.value), [], 'no alert while every target answers');

    const dropAt = Date.now();
    firewall.add();
    const alert = await until('the BAD alert', () => sidebar.from(names.alert, dropAt)[0]);
    assert.match(alert.value, /^netstab ALERT: nr-test\/127\.77\.0\.1 is BAD \(.+\)$/);
    await until('netstab\'s own BAD status event', () =>
      fromNetstab(`netstab/${agent}/events`, dropAt, (j) => j?.type === 'status_change' && j?.target === dead && j?.to === 'BAD')[0]);
    // netstab keeps publishing BAD statistics (every 200 ms); the alert must not repeat.
    await until('five more BAD summaries after the alert', () =>
      summaries(dead, alert.at).filter((e) => e.value.status === 'BAD').length >= 5);
    assert.equal(sidebar.from(names.alert).length, 1, 'exactly one alert for one change to BAD');
    firewall.remove();
  });

  await t.test('removing a target (cleared retained topics) raises no error in the flow', async () => {
    const removeAt = Date.now();
    await watch.publish(`netstab/${agent}/cmd`, { cmd: 'remove_target', target: dead, id: 'nr-remove' });
    const reply = await until('the remove_target reply', () =>
      fromNetstab(`netstab/${agent}/cmd/reply`, removeAt, (j) => j?.id === 'nr-remove')[0]);
    assert.equal(reply.json.ok, true, reply.text);
    const cleared = await until('the cleared retained stats of 127.77.0.1', () =>
      fromNetstab(topic(dead, 'stats'), removeAt, (_j, m) => m.text === '')[0]);
    // The flow's own progress is the sentinel: two more summaries of 127.0.0.1 came through the statistics path
    // after the cleared message, so the flow has handled it (and any error it raised is in the sidebar).
    await until('two summaries of 127.0.0.1 after the clear', () => summaries(live, cleared.at).length >= 2);
    assert.deepEqual(sidebar.problems().map((e) => e.raw), [], 'warnings or errors of flow nodes');
  });
});
