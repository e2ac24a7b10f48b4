import { z } from 'zod';
import { Command } from './commands.ts';
import * as messages from './messages.ts';
import { TraceEvent } from './trace.ts';
import * as viewer from './viewer.ts';

/** Who sends a message: what a device must produce exactly, or what it must read tolerantly. */
type Direction = 'to-hub' | 'from-hub';

/**
 * One JSON Schema per message, plus the unions, for device makers who validate in other
 * languages. What a device sends is closed (`additionalProperties: false`: a typo is caught at
 * once). What the hub sends is open: additive changes keep the protocol version, so a device
 * must accept, and ignore, fields it does not know.
 */
export function jsonSchemas(): Record<string, object> {
  const schemas: Array<[string, z.ZodType, Direction]> = [
    ['DeviceMessage', messages.DeviceMessage, 'to-hub'],
    ['Command', Command, 'to-hub'],
    ['HubMessage', messages.HubMessage, 'from-hub'],
    ['Cluster', messages.Cluster, 'from-hub'],
    ['ViewerMessage', viewer.ViewerMessage, 'from-hub'],
    ['TraceEvent', TraceEvent, 'from-hub'],
  ];
  for (const option of messages.DeviceMessage.options) schemas.push([option.shape.type.value, option, 'to-hub']);
  for (const option of messages.HubMessage.options) {
    const shape = 'shape' in option ? option.shape : option.options[0].shape;
    schemas.push([shape.type.value, option, 'from-hub']);
  }
  const out: Record<string, object> = {};
  for (const [name, schema, direction] of schemas) {
    const json = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      unrepresentable: 'any',
      override: (ctx) => {
        if (direction === 'from-hub' && ctx.jsonSchema.additionalProperties === false) delete ctx.jsonSchema.additionalProperties;
      },
    });
    out[name] = { title: name, ...json };
  }
  return out;
}
