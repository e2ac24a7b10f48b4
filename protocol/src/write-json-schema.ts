import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { Command } from './commands.ts';
import * as messages from './messages.ts';
import { TraceEvent } from './trace.ts';
import * as viewer from './viewer.ts';

/**
 * `npm run schema`: one JSON Schema file per message, plus the unions, for device makers who
 * validate in other languages. Written to protocol/schema/.
 */
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'schema');
mkdirSync(out, { recursive: true });

const schemas: Record<string, z.ZodType> = {
  DeviceMessage: messages.DeviceMessage,
  HubMessage: messages.HubMessage,
  ViewerMessage: viewer.ViewerMessage,
  Command,
  Cluster: messages.Cluster,
  TraceEvent,
};
for (const option of messages.DeviceMessage.options) schemas[option.shape.type.value] = option;
for (const option of messages.HubMessage.options) {
  const shape = 'shape' in option ? option.shape : option.options[0].shape;
  schemas[shape.type.value] = option;
}

for (const [name, schema] of Object.entries(schemas)) {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any' });
  writeFileSync(join(out, `${name}.schema.json`), JSON.stringify({ title: name, ...json }, null, 2) + '\n');
}
process.stdout.write(`wrote ${Object.keys(schemas).length} JSON Schemas to ${out}\n`);
