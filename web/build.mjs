// Builds the static dashboard: web/src -> <out>/index.html, app.js, app.css (uPlot's css bundled).
// Usage: node web/build.mjs [--out <dir>] [--dev]   (default out: web/dist)
// The output references no other host: the build fails if index.html or app.css names one.
import { build } from 'esbuild';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));

export async function buildDashboard(out, { dev = false } = {}) {
  await mkdir(out, { recursive: true });
  await build({
    absWorkingDir: here,
    entryPoints: { app: 'src/main.js' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome109', 'firefox115', 'safari16'],
    minify: !dev,
    sourcemap: dev ? 'inline' : false,
    legalComments: 'none',
    outdir: out,
    logLevel: 'warning',
  });
  await build({
    absWorkingDir: here,
    entryPoints: { app: 'src/app.css' },
    bundle: true,
    minify: !dev,
    outdir: out,
    logLevel: 'warning',
  });
  await copyFile(join(here, 'src/index.html'), join(out, 'index.html'));
  for (const f of ['index.html', 'app.css']) {
    const text = await readFile(join(out, f), 'utf8');
    const ext = text.match(/(?:src|href)\s*=\s*["']?(?:https?:)?\/\/|url\(\s*["']?(?:https?:)?\/\/|@import/i);
    if (ext) throw new Error(`${f} references another host or import: ${ext[0]}`);
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, dev: { type: 'boolean' } } });
  const out = resolve(values.out ?? join(here, 'dist'));
  await buildDashboard(out, { dev: values.dev });
  console.log(`dashboard built in ${out}`);
}
