import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonSchemas } from './json-schemas.ts';

/** `npm run schema`: the JSON Schemas of `json-schemas.ts`, one file each, written to protocol/schema/. */
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'schema');
mkdirSync(out, { recursive: true });
const schemas = jsonSchemas();
for (const [name, schema] of Object.entries(schemas)) {
  writeFileSync(join(out, `${name}.schema.json`), JSON.stringify(schema, null, 2) + '\n');
}
process.stdout.write(`wrote ${Object.keys(schemas).length} JSON Schemas to ${out}\n`);
