// The build writes index.html, app.js and app.css with no reference to another host.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const haveDeps = existsSync(join(web, 'node_modules', 'esbuild'));

test('build output is self-contained', { skip: haveDeps ? false : 'web/node_modules missing: run npm ci in web/' }, async () => {
  const { buildDashboard } = await import('../build.mjs');
  const out = await mkdtemp(join(tmpdir(), 'netstab-web-build-'));
  try {
    await buildDashboard(out);
    const html = await readFile(join(out, 'index.html'), 'utf8');
    const css = await readFile(join(out, 'app.css'), 'utf8');
    const js = await readFile(join(out, 'app.js'), 'utf8');
    assert.match(html, /<script defer src="app\.js">/);
    assert.match(css, /\.uplot/); // uPlot's stylesheet is bundled
    for (const text of [html, css, js]) assert.doesNotMatch(text, /https?:\/\//);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('the page source never builds HTML from strings', async () => {
  const dir = join(web, 'src');
  for (const f of (await readdir(dir)).filter((n) => n.endsWith('.js'))) {
    const text = await readFile(join(dir, f), 'utf8');
    assert.doesNotMatch(text, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/, f);
  }
});
