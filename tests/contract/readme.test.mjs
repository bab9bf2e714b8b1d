// The README's example payloads (the ```jsonc block under "MQTT topics and payloads") must be valid against the
// JSON Schemas in docs/schemas: the documentation cannot drift from the contract the service tests enforce.
// Each example is introduced by a comment naming its topic ("// .../targets/1.1.1.1/stats"); the topic's last
// level names the schema. Run: node --test tests/contract/readme.test.mjs (ajv from web/node_modules).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(root, 'web', 'package.json'));
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

// Returns [{kind, text}] for every example of the first jsonc block after the MQTT heading.
function readmeExamples() {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## MQTT topics and payloads'));
  const block = section.slice(section.indexOf('```jsonc') + '```jsonc'.length, section.indexOf('```', section.indexOf('```jsonc') + 8));
  const out = [];
  let current = null;
  for (const line of block.split('\n')) {
    const comment = line.match(/^\/\/ \S*\/(\w+)\b/);
    if (comment) {
      current = { kind: comment[1], text: '' };
      out.push(current);
    } else if (current && line.trim() !== '') {
      current.text += line + '\n';
    }
  }
  return out;
}

const kindToSchema = {
  sample: 'sample', stats: 'stats', incidents: 'incidents', events: 'event', state: 'state', digest: 'digest',
  path: 'path',
};

// An ajv instance holding every schema, so that one may refer to another (the digest's entries are stats payloads).
function ajvWithSchemas() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const dir = join(root, 'docs', 'schemas');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.schema.json'))) {
    ajv.addSchema(JSON.parse(readFileSync(join(dir, f), 'utf8')));
  }
  return ajv;
}

test('every README example payload is valid against its schema', () => {
  const examples = readmeExamples();
  assert.deepEqual(examples.map((e) => e.kind).sort(), Object.keys(kindToSchema).sort(),
    'the README shows one example of each retained or streamed payload');
  const ajv = ajvWithSchemas();
  for (const e of examples) {
    const schema = JSON.parse(readFileSync(join(root, 'docs', 'schemas', `${kindToSchema[e.kind]}.schema.json`), 'utf8'));
    const validate = ajv.getSchema(schema.$id);
    const value = JSON.parse(e.text);
    assert.ok(validate(value), `${e.kind}: ${ajv.errorsText(validate.errors)}\n${e.text}`);
  }
});

test('a payload that breaks the contract is caught', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(join(root, 'docs', 'schemas', 'sample.schema.json'), 'utf8')));
  const sample = JSON.parse(readmeExamples().find((e) => e.kind === 'sample').text);
  assert.ok(validate(sample));
  assert.ok(!validate({ ...sample, status: 'fine' }), 'an unknown status is refused');
  assert.ok(!validate({ ...sample, ts: '25/11/2026' }), 'a timestamp that is not RFC 3339 is refused');
});
