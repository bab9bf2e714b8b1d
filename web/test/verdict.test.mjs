import test from 'node:test';
import assert from 'node:assert/strict';
import { faultLevel, segmentShort, verdictBanner, verdictHeadline, verdictLabel } from '../src/verdict.js';

const fault = (o) => ({ segment: 'ok', metric: 'none', hop: null, address: null, since: null, reason: 'ok', ...o });

test('the headline in plain words for every segment', () => {
  const rows = [
    // [segment and fields, headline, label]
    [{}, 'All good', 'ok'],
    [{ segment: 'host', metric: 'host' }, 'Your computer is slow (host)', 'host'],
    [{ segment: 'lan', metric: 'loss', hop: 1, address: '192.168.1.1' }, 'Your network (LAN): loss starts at hop 1 (192.168.1.1)',
      'LAN · hop 1'],
    [{ segment: 'isp', metric: 'loss', hop: 3, address: '100.64.0.1' }, 'Your ISP: loss starts at hop 3 (100.64.0.1)', 'ISP · hop 3'],
    [{ segment: 'isp', metric: 'latency', hop: 3, address: '100.64.0.1' }, 'Your ISP: delay starts at hop 3 (100.64.0.1)',
      'ISP · hop 3'],
    [{ segment: 'upstream', metric: 'loss', hop: 5, address: '192.0.2.1' },
      'Upstream, beyond your ISP: loss starts at hop 5 (192.0.2.1)', 'upstream · hop 5'],
    [{ segment: 'upstream', metric: 'loss', hop: 5 }, 'Upstream, beyond your ISP: loss starts at hop 5', 'upstream · hop 5'],
    [{ segment: 'isp', metric: 'loss' }, 'Your ISP: packet loss', 'ISP'],
    [{ segment: 'lan', metric: 'latency' }, 'Your network (LAN): delay', 'LAN'],
    [{ segment: 'lan', metric: null, hop: 2 }, 'Your network (LAN): trouble starts at hop 2', 'LAN · hop 2'],
    [{ segment: 'remote', metric: 'loss', address: '192.0.2.2' }, 'The target itself: 192.0.2.2 loses packets', 'target'],
    [{ segment: 'remote', metric: 'latency', address: '192.0.2.2' }, 'The target itself: 192.0.2.2 answers slowly', 'target'],
    [{ segment: 'remote', metric: 'loss' }, 'The target itself: the target loses packets', 'target'],
    [{ segment: 'unknown', metric: 'loss' }, 'Something is wrong, but where is not clear yet', 'unknown'],
  ];
  for (const [o, headline, label] of rows) {
    assert.equal(verdictHeadline(fault(o)), headline, JSON.stringify(o));
    assert.equal(verdictLabel(fault(o)), label, JSON.stringify(o));
  }
  assert.equal(verdictHeadline(fault({ segment: 'remote', metric: 'loss', address: '192.0.2.2' }), { name: 'example.org' }),
    'The target itself: example.org loses packets');
  assert.equal(verdictHeadline(null), null);
  assert.equal(verdictLabel(null), '');
  assert.equal(segmentShort('remote'), 'target');
  assert.equal(segmentShort('sideways'), 'sideways', 'a segment from a later agent is shown as sent');
});

test('the colour level: green when ok, red with a BAD status, amber otherwise', () => {
  assert.equal(faultLevel(null), 'none');
  assert.equal(faultLevel(fault({}), 'BAD'), 'ok');
  assert.equal(faultLevel(fault({ segment: 'isp' }), 'BAD'), 'bad');
  assert.equal(faultLevel(fault({ segment: 'isp' }), 'WARN'), 'warn');
  assert.equal(faultLevel(fault({ segment: 'host' }), 'OK'), 'warn', 'a slow host does not make the target BAD');
  assert.equal(faultLevel(fault({ segment: 'unknown' }), null), 'warn');
});

const isp = fault({ segment: 'isp', metric: 'loss', hop: 4, address: '198.51.100.1',
  reason: 'loss 8.0% from hop 4 (198.51.100.1, ISP) to the target since 21:04 UTC; hops 1, 3 clean' });
const target = (slug, f, status = null) => ({ slug, name: slug, fault: f, status, statsSeen: true });

test('one target: its own verdict, whatever the agent says', () => {
  const b = verdictBanner({ agentFault: fault({ reason: 'stale' }), agentSeen: true, targets: [target('a', isp, 'BAD')],
    selected: 'a' });
  assert.equal(b.scope, 'target');
  assert.equal(b.headline, 'Your ISP: loss starts at hop 4 (198.51.100.1)');
  assert.equal(b.reason, isp.reason);
  assert.equal(b.level, 'bad');
  assert.equal(b.segment, 'isp');
  assert.equal(b.subject, 'a');
  assert.equal(b.selected, null);
});

test('one target whose stats carry no verdict yet: the agent\'s', () => {
  const b = verdictBanner({ agentFault: isp, agentSeen: true, targets: [target('a', null)], selected: 'a' });
  assert.equal(b.scope, 'agent');
  assert.equal(b.headline, 'Your ISP: loss starts at hop 4 (198.51.100.1)');
  assert.equal(b.subject, 'a');
});

test('several targets: the agent\'s verdict, and the selected target\'s when it differs', () => {
  const shared = { ...isp, reason: '2 of 2 targets lose packets from hop 4 (198.51.100.1, ISP); a, b' };
  let b = verdictBanner({ agentFault: shared, agentSeen: true, selected: 'a',
    targets: [target('a', isp, 'WARN'), target('b', isp, 'BAD')] });
  assert.equal(b.scope, 'agent');
  assert.equal(b.subject, 'all 2 targets');
  assert.equal(b.headline, 'Your ISP: loss starts at hop 4 (198.51.100.1)');
  assert.equal(b.reason, shared.reason);
  assert.equal(b.level, 'bad', 'the worst status of the degraded targets');
  assert.equal(b.selected, null, 'the same verdict is not repeated');

  const remote = fault({ segment: 'remote', metric: 'loss', address: '192.0.2.2', reason: 'loss 8.0% at the target (192.0.2.2)' });
  b = verdictBanner({ agentFault: fault({ reason: '1 of 2 targets degraded: a (target); the others are fine' }),
    agentSeen: true, selected: 'b', targets: [target('a', remote, 'WARN'), target('b', fault({}), 'OK')] });
  assert.equal(b.headline, 'Your connection is fine: only a has a problem');
  assert.equal(b.level, 'warn');
  assert.equal(b.segment, 'ok');
  assert.equal(b.selected, null, 'the selected target agrees with the agent: ok');

  b = verdictBanner({ agentFault: fault({ reason: '1 of 2…' }), agentSeen: true, selected: 'a',
    targets: [target('a', remote, 'BAD'), target('b', fault({}), 'OK')] });
  assert.deepEqual(b.selected, { name: 'a', headline: 'The target itself: a loses packets', reason: remote.reason,
    level: 'bad', segment: 'remote' });
  assert.equal(b.level, 'bad');
});

test('several targets degraded in different places', () => {
  const lan = fault({ segment: 'lan', metric: 'loss', hop: 1, address: '192.168.1.1' });
  const b = verdictBanner({ agentFault: fault({ segment: 'unknown', metric: 'loss', reason: '2 of 3 targets degraded in different places' }),
    agentSeen: true, selected: 'c', targets: [target('a', lan, 'WARN'), target('b', isp, 'WARN'), target('c', fault({}), 'OK')] });
  assert.equal(b.headline, '2 targets have trouble, in different places');
  assert.equal(b.level, 'warn');
  const all = verdictBanner({ agentFault: fault({}), agentSeen: true, selected: 'a',
    targets: [target('a', lan, 'WARN'), target('b', isp, 'WARN')] });
  assert.equal(all.headline, 'Your connection is fine: 2 targets have problems of their own');
});

test('several targets and an agent that publishes no verdict of its own: the selected target\'s', () => {
  const b = verdictBanner({ agentFault: null, agentSeen: true, selected: 'b', targets: [target('a', fault({})), target('b', isp)] });
  assert.equal(b.scope, 'target');
  assert.equal(b.subject, 'b');
  assert.equal(b.headline, 'Your ISP: loss starts at hop 4 (198.51.100.1)');
});

test('an older agent: no verdict, and why; nothing received yet: waiting', () => {
  let b = verdictBanner({ agentSeen: true, targets: [target('a', null, 'OK')], selected: 'a' });
  assert.equal(b.scope, 'none');
  assert.equal(b.level, 'none');
  assert.equal(b.headline, 'No verdict from this agent');
  assert.match(b.reason, /without path monitoring/);
  assert.equal(b.segment, null);
  b = verdictBanner({ targets: [{ slug: 'a', name: 'a', fault: null, status: null, statsSeen: false }], selected: 'a' });
  assert.equal(b.headline, 'Waiting for the verdict…');
  assert.equal(verdictBanner({}).headline, 'Waiting for the verdict…');
});

test('an offline agent: its last verdict, greyed', () => {
  const b = verdictBanner({ agentSeen: true, targets: [target('a', isp, 'BAD')], selected: 'a', online: false });
  assert.equal(b.level, 'offline');
  assert.equal(b.headline, 'Your ISP: loss starts at hop 4 (198.51.100.1)');
  assert.equal(b.note, 'agent offline: its last verdict');
  assert.equal(verdictBanner({ online: false }).note, '', 'nothing to grey');
});
