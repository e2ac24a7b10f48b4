import { describe, expect, test } from 'vitest';
import { jsonSchemas } from './json-schemas.ts';

/** Every object schema inside a JSON Schema, and whether it closes itself to unknown properties. */
function closedObjects(schema: unknown, found: string[] = [], path = '$'): string[] {
  if (Array.isArray(schema)) schema.forEach((s, i) => closedObjects(s, found, `${path}[${i}]`));
  else if (schema && typeof schema === 'object') {
    const record = schema as Record<string, unknown>;
    if (record.additionalProperties === false) found.push(path);
    for (const [k, v] of Object.entries(record)) closedObjects(v, found, `${path}.${k}`);
  }
  return found;
}

describe('exported JSON Schemas', () => {
  const schemas = jsonSchemas();

  test.each(['HubMessage', 'hub.welcome', 'cluster.update', 'transfer.prepare', 'transfer.switch', 'transfer.abort', 'command.result', 'Cluster'])(
    '%s (sent by the hub) accepts properties it does not list, so additive changes do not break strict devices',
    (name) => {
      expect(schemas[name]).toBeDefined();
      expect(closedObjects(schemas[name])).toEqual([]);
    },
  );

  test.each(['DeviceMessage', 'device.hello', 'clock.pong', 'command.transfer'])('%s (sent by a device) refuses unknown properties, so a typo is caught', (name) => {
    expect(closedObjects(schemas[name]).length).toBeGreaterThan(0);
  });

  test('every hub message type has its own schema file', () => {
    const union = schemas.HubMessage as { oneOf?: unknown[]; anyOf?: unknown[] };
    expect((union.oneOf ?? union.anyOf ?? []).length).toBe(11);
    for (const type of ['hub.welcome', 'cluster.update', 'clock.ping', 'clock.sync', 'transfer.prepare', 'transfer.switch', 'transfer.abort', 'command.result', 'error', 'hub.reconnect', 'playback.resync']) {
      expect(Object.keys(schemas)).toContain(type);
    }
  });
});
