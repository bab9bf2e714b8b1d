// Validates JSON payloads against netstab's JSON Schemas (docs/schemas) with ajv.
// Usage: node tests/contract/validate.mjs KIND FILE...   (KIND: sample, stats, state, ...)
// Each FILE holds one payload. Exits 0 when every payload is valid, 1 otherwise
// (printing each error), 2 on usage errors. ajv comes from web/node_modules (npm ci in web/).
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(root, 'web', 'package.json'));
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

const [kind, ...files] = process.argv.slice(2);
if (!kind || files.length === 0) {
  console.error('usage: validate.mjs KIND FILE...');
  process.exit(2);
}
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
// Every schema is added first, so that one may refer to another (the digest's entries are stats payloads).
const dir = join(root, 'docs', 'schemas');
for (const f of readdirSync(dir).filter((n) => n.endsWith('.schema.json'))) {
  ajv.addSchema(JSON.parse(readFileSync(join(dir, f), 'utf8')));
}
const schema = JSON.parse(readFileSync(join(dir, `${kind}.schema.json`), 'utf8'));
const validate = ajv.getSchema(schema.$id);
let bad = 0;
for (const f of files) {
  const text = readFileSync(f, 'utf8');
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    console.error(`${f}: not JSON: ${e.message}`);
    bad++;
    continue;
  }
  if (!validate(value)) {
    bad++;
    console.error(`${f}: ${ajv.errorsText(validate.errors)}\n  payload: ${text}`);
  }
}
console.log(`${files.length - bad}/${files.length} ${kind} payloads valid`);
process.exit(bad === 0 ? 0 : 1);
