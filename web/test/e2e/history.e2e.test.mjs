// The dashboard's history and the report for your ISP, in Chromium (the chart and the figures in Firefox too),
// against the real netstab serving a real SQLite store: netstab_history_bench fills the store (ten days of two targets, ending two days before the run), sqlite3 cuts a
// gap out of it (netstab not running for half a day) and adds two incidents, then netstab runs on that file with
// a real mosquitto. The page's figures, its printed PDF and its CSV download are checked against
// `netstab history` on the same file. NETSTAB_BIN and NETSTAB_HISTORY_BENCH override the binaries (defaults in
// build/dev). Skipped, with the reason, when a binary or a tool is missing; with REQUIRE_PRIVILEGED_TESTS=1 (CI)
// that is a failure.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { missingEngine, openEngine } from '../../e2e/driver.mjs';
import { builtPage, missingTools, openBrowser, repoRoot, saveScreenshot, startAgent, startMosquitto, waitFor } from '../../e2e/harness.mjs';
import { parseHistoryReply, isoSeconds } from '../../src/history.js';
import { buildReport, figureTexts } from '../../src/report.js';

const bin = resolve(repoRoot, process.env.NETSTAB_BIN ?? 'build/dev/service/netstab');
const bench = resolve(repoRoot, process.env.NETSTAB_HISTORY_BENCH ?? 'build/dev/bench/netstab_history_bench');
const which = (tool) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const skip = missingTools() ??
  (existsSync(bin) ? null : `netstab binary not found at ${bin} (build it, or set NETSTAB_BIN)`) ??
  (existsSync(bench) ? null : `netstab_history_bench not found at ${bench} (build it, or set NETSTAB_HISTORY_BENCH)`) ??
  (which('sqlite3') ? null : 'sqlite3 not found (apt-get install sqlite3)') ??
  (which('pdftotext') ? null : 'pdftotext not found (apt-get install poppler-utils)') ?? false;

if (skip && process.env.REQUIRE_PRIVILEGED_TESTS === '1') {
  test('the history e2e suite can run (REQUIRE_PRIVILEGED_TESTS=1)', () => assert.fail(`${skip}; it must run in CI`));
}

// The filled store ends two days before now (a whole hour), whenever the test runs: the week shown holds its gap,
// both incidents and, at its end, days without netstab.
const END = Math.floor(Date.now() / 1000 / 3600) * 3600 - 2 * 86400;
const TARGET = '10.0.0.1';
const GAP = [END - 2 * 86400, END - 1.5 * 86400]; // netstab not running
const INCIDENTS = [
  { start: END - 2.5 * 86400 + 600, seconds: 90, lost: 30, reason: 'loss 25 % over the window', verdict: null },
  { start: END - 86400 + 1200, seconds: 300, lost: 150, reason: '5 consecutive timeouts', verdict: 'isp' },
];

// Ten days of two targets, with a half-day gap in target 1's minutes and in the runs, and two incidents.
function fillStore(db) {
  execFileSync(bench, ['fill', '--db', db, '--targets', '2', '--days', '10', '--raw-targets', '0', '--end', String(END)],
    { stdio: 'ignore' });
  const ms = (s) => Math.round(s * 1000);
  const sql = [
    `UPDATE runs SET stopped = ${ms(GAP[0])}, last_seen = ${ms(GAP[0])} WHERE id = 1;`,
    `INSERT INTO runs (started, last_seen, stopped, crashed) VALUES (${ms(GAP[1])}, ${ms(END)}, ${ms(END)}, 0);`,
    `DELETE FROM minute WHERE target_id = 1 AND ts >= ${GAP[0]} AND ts < ${GAP[1]};`,
    ...INCIDENTS.map((i, n) => 'INSERT INTO incidents (run_id, target_id, seq, start_ms, end_ms, duration_ms, lost, worst, ' +
      `reason, verdict) VALUES (${n + 1}, 1, ${n + 1}, ${ms(i.start)}, ${ms(i.start + i.seconds)}, ${ms(i.seconds)}, ` +
      `${i.lost}, 2, '${i.reason}', ${i.verdict ? `'${i.verdict}'` : 'NULL'});`),
  ].join('\n');
  execFileSync('sqlite3', [db], { input: sql });
}

const cli = (db, shown, format, target = TARGET) => execFileSync(bin, ['history', '--db', db, '--target', target, '--from',
  isoSeconds(shown.from), '--to', isoSeconds(shown.to), '--step', `${shown.step_s}s`, '--format', format], { encoding: 'utf8' });

test('history chart, report for your ISP, PDF and CSV against the store', { skip, timeout: 300000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'netstab-web-history-'));
  const db = join(dir, 'history.db');
  fillStore(db);
  const dist = await builtPage();
  const broker = await startMosquitto({ httpDir: dist });
  const origin = `http://127.0.0.1:${broker.wsPort}`;
  let agent = null;
  let browser = null;
  t.after(async () => {
    await browser?.close();
    await agent?.kill();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  });
  agent = await startAgent({ command: bin, args: ['--broker', broker.mqttUrl, '--agent', 'e2e-history', '--target', '127.0.0.1',
    '--interval', '500'], broker: broker.mqttUrl, agent: 'e2e-history', timeoutMs: 15000, historyPath: db,
    env: { NETSTAB_HISTORY_FLUSH_INTERVAL_S: '1' } });
  // The live target is in the store (netstab writes it with its first batch) before the page asks for it.
  await waitFor('127.0.0.1 in the store', () => execFileSync(bin, ['history', '--db', db, '--list-targets'],
    { encoding: 'utf8' }).includes('127.0.0.1'), 15000);
  browser = await openBrowser(origin);
  const page = await browser.newPage();
  await page.goto(broker.url);
  const text = (sel) => page.evaluate((s) => document.querySelector(s)?.textContent ?? null, sel);
  const shown = () => page.evaluate(() => window.netstabDashboard.history.shown);

  let view = null;
  let expected = null;
  await t.test('the live target\'s history is shown first, 24 h', async () => {
    const s = await waitFor('the history of 127.0.0.1', async () => {
      const v = await shown();
      return v && v.target === '127.0.0.1' ? v : null;
    }, 15000);
    assert.equal(await page.inputValue('#hist-target'), '127.0.0.1');
    assert.ok(s.to - s.from >= 86400 && s.to - s.from <= 86400 + 60, `24 h: ${s.to - s.from} s`);
    assert.equal(s.step_s, 60);
    assert.equal(await page.getAttribute('#hist-ranges button[data-range="24h"]', 'aria-pressed'), 'true');
  });

  await t.test('choosing 7 d draws the stored target with its gaps', async () => {
    await waitFor('the history targets', () => page.evaluate((name) =>
      [...document.querySelectorAll('#hist-target option')].some((o) => o.value === name), TARGET), 15000);
    await page.selectOption('#hist-target', TARGET);
    await page.click('#hist-ranges button[data-range="7d"]');
    view = await waitFor('7 d of history', async () => {
      const s = await shown();
      return s && s.target === TARGET && s.to - s.from >= 7 * 86400 - 3600 ? s : null;
    }, 15000);
    assert.equal(view.step_s, 600, 'auto step of 7 d');
    const rows = Number(await page.getAttribute('#hist-chart', 'data-rows'));
    const points = Number(await page.getAttribute('#hist-chart', 'data-points'));
    assert.equal(rows, view.rows);
    assert.equal(rows, JSON.parse(cli(db, view, 'json')).rows.length, 'the page has the rows netstab history prints');
    assert.ok(rows > 200, `rows: ${rows}`);
    assert.ok(points > rows, `the gaps add break points: ${points} points for ${rows} rows`);
    assert.match(await text('#hist-status'), /2 incidents/);
    // The readout under the chart follows the cursor: a bucket early in the range, the days without netstab at its end.
    const over = await page.evaluate(() => {
      const e = document.querySelector('#hist-chart .u-over');
      e.scrollIntoView({ block: 'center' });
      const r = e.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    });
    await page.mouse.move(over.x + over.width * 0.05, over.y + over.height / 2);
    await waitFor('a bucket in the readout', async () => /median [\d.]+ ms .*loss [\d.]+ %/.test(await text('#hist-readout')));
    await page.mouse.move(over.x + over.width * 0.95, over.y + over.height / 2);
    await waitFor('the gap in the readout', async () => (await text('#hist-readout')) === 'netstab not running');
    await saveScreenshot(page, 'history.png', { docs: false });
    // Dragging out a span asks for it again at a finer step; a double-click goes back to the range.
    const y = over.y + over.height / 2;
    await page.mouse.move(over.x + over.width * 0.2, y);
    await page.mouse.down();
    await page.mouse.move(over.x + over.width * 0.25, y, { steps: 6 });
    await page.mouse.up();
    const zoomed = await waitFor('the zoomed span', async () => {
      const s = await shown();
      return s && s.step_s === 60 ? s : null;
    }, 10000);
    const span = zoomed.to - zoomed.from;
    assert.ok(span > 0.04 * 7 * 86400 && span < 0.06 * 7 * 86400, `a twentieth of the week: ${span} s`);
    assert.equal(zoomed.rows, JSON.parse(cli(db, zoomed, 'json')).rows.length);
    await page.mouse.dblclick(over.x + over.width * 0.5, y);
    view = await waitFor('the week again', async () => {
      const s = await shown();
      return s && s.step_s === 600 ? s : null;
    }, 10000);
    // The week asked again ends at a later "now" than the first one, so its buckets may differ from the first
    // view's by one: each reply is compared with netstab history for its own range.
    expected = JSON.parse(cli(db, view, 'json'));
    assert.equal(view.rows, expected.rows.length, 'the page has the rows netstab history prints');
    assert.equal(Number(await page.getAttribute('#hist-chart', 'data-rows')), expected.rows.length);
  });

  await t.test('the report holds the figures computed from the store', async () => {
    await page.click('#hist-report');
    await waitFor('the report', () => page.evaluate(() => !document.getElementById('report').hidden));
    const summary = Object.fromEntries(await page.evaluate(() =>
      [...document.querySelectorAll('#report-summary tr')].map((r) => [r.dataset.k, r.querySelector('td').textContent])));
    const h = parseHistoryReply({ ok: true, ...expected });
    const want = figureTexts(buildReport(h).all);
    assert.deepEqual(summary, {
      availability: want.availability, loss: want.loss, 'probes sent': want.sent, 'probes lost': want.lost, 'median RTT': want.median,
      'p95 RTT': want.p95, jitter: want.jitter, 'time in WARN': want.warn, 'time in BAD': want.bad,
    });
    // Loss and counts once more straight from the CSV of netstab history, without the page's code.
    const csv = cli(db, view, 'csv').trim().split('\n').slice(1).map((l) => l.split(','));
    const total = (i) => csv.reduce((s, c) => s + Number(c[i]), 0);
    const [sent, received, lost] = [total(1), total(2), total(3)];
    assert.equal(summary['probes sent'], String(sent));
    assert.equal(summary.loss, `${((100 * lost) / (received + lost)).toFixed(3)} %`);
    assert.equal(summary['time in BAD'] !== '0 s', csv.some((c) => c[20] === 'BAD'));
    assert.equal(await page.evaluate(() => document.querySelectorAll('#report-hours tr').length), 24);
    const incidents = await page.evaluate(() => [...document.querySelectorAll('#report-incidents tr')].map((r) =>
      [...r.children].map((c) => c.textContent)));
    assert.deepEqual(incidents.map((r) => [r[0], r[5], r[6]]), INCIDENTS.map((i) => [isoSeconds(i.start), i.reason, i.verdict ?? '—']));
    assert.deepEqual(incidents.map((r) => r[2]), ['1 m 30 s', '5 m 00 s']);
    assert.match(await page.getAttribute('#report-chart', 'src'), /^data:image\/png;base64,/);
    const meta = await text('#report-meta');
    assert.ok(meta.includes('e2e-history') && meta.includes(`${isoSeconds(view.from)} – ${isoSeconds(view.to)}`), meta);
    t.summary = summary;
  });

  await t.test('printed to PDF, the report holds the same figures', async () => {
    await mkdir(join(repoRoot, 'test-artifacts'), { recursive: true });
    const pdf = join(repoRoot, 'test-artifacts', 'isp-report.pdf');
    await page.pdf({ path: pdf, format: 'A4', printBackground: true });
    const out = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
    const h = parseHistoryReply({ ok: true, ...expected });
    const want = figureTexts(buildReport(h).all);
    for (const v of [`Connection report: ${TARGET}`, 'e2e-history', isoSeconds(view.from), want.availability, want.loss,
      want.median, want.p95, want.jitter, want.bad, ...INCIDENTS.map((i) => i.reason), 'By hour of day']) {
      assert.ok(out.includes(v), `the PDF lacks "${v}":\n${out}`);
    }
    assert.ok(!out.includes('VERDICT'), 'the PDF holds only the report');
  });

  await t.test('the CSV download is what netstab history --format csv prints', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#report-csv')]);
    const got = await readFile(await download.path(), 'utf8');
    assert.equal(got, cli(db, view, 'csv'));
    assert.deepEqual(browser.errors, []);
    assert.deepEqual(browser.foreign, []);
  });

  await t.test('the live target\'s last hour comes from what this netstab just wrote', async () => {
    await page.selectOption('#hist-target', '127.0.0.1');
    // A minute is written once it has ended: ask again until the first one is there (at most about a minute).
    const s = await waitFor('a written minute of 127.0.0.1', async () => {
      await page.click('#hist-ranges button[data-range="1h"]');
      await new Promise((r) => setTimeout(r, 2000));
      const v = await shown();
      return v && v.target === '127.0.0.1' && v.rows > 0 ? v : null;
    }, 100000, 0);
    assert.equal(s.step_s, 60);
    assert.ok(s.to - s.from >= 3600 && s.to - s.from <= 3660, `an hour, aligned outwards to whole minutes: ${s.to - s.from} s`);
    const rows = JSON.parse(cli(db, s, 'json', '127.0.0.1')).rows;
    assert.ok(rows.length >= s.rows && rows[0][1] > 0, `netstab history has the minutes the page drew: ${JSON.stringify(rows)}`);
  });

  await t.test('Firefox draws the same range and reports the same figures', { skip: missingEngine('firefox') ?? false }, async () => {
    const ff = await openEngine('firefox', origin);
    try {
      const p = await ff.newPage();
      await p.goto(broker.url);
      await waitFor('the history targets', () => p.evaluate((name) =>
        [...document.querySelectorAll('#hist-target option')].some((o) => o.value === name), TARGET), 20000);
      await p.select('#hist-target', TARGET);
      await p.click('#hist-ranges button[data-range="7d"]');
      const s = await waitFor('7 d of history', async () => {
        const v = await p.evaluate(() => window.netstabDashboard.history.shown);
        return v && v.target === TARGET && v.to - v.from >= 7 * 86400 - 3600 ? v : null;
      }, 15000);
      assert.equal(s.step_s, 600);
      assert.ok(Number(await p.attr('#hist-chart', 'data-points')) > s.rows);
      const want = figureTexts(buildReport(parseHistoryReply({ ok: true, ...JSON.parse(cli(db, s, 'json')) })).all);
      await p.click('#hist-report');
      await waitFor('the report', () => p.evaluate(() => !document.getElementById('report').hidden));
      const summary = Object.fromEntries(await p.evaluate(() =>
        [...document.querySelectorAll('#report-summary tr')].map((r) => [r.dataset.k, r.querySelector('td').textContent])));
      assert.equal(summary.availability, want.availability);
      assert.equal(summary.loss, want.loss);
      assert.equal(summary['median RTT'], want.median);
      assert.equal(summary['p95 RTT'], want.p95);
      assert.deepEqual(ff.errors, []);
    } finally {
      await ff.close();
    }
  });
});
