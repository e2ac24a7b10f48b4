import { DeviceId } from '@handoff/protocol';
import { z } from 'zod';
import { HubError } from '../errors.ts';

/**
 * What the player endpoints accept, parsed once at the edge. Names and value spellings are the
 * reference's; `null` in a body counts as absent (some client libraries send every field), and
 * unknown fields and query parameters (`market`, ...) are ignored.
 */

/** A uri such as `spotify:track:ID` or `demo:album:night-drive`: no spaces, at least one colon. */
const Uri = z.string().max(256).regex(/^[^\s:]+:\S+$/, 'must be a uri such as spotify:track:ID');
const int = (name: string, min: number, max: number) =>
  z
    .string({ error: `${name} is required` })
    .regex(/^\d+$/, `${name} must be an integer`)
    .transform(Number)
    .pipe(z.number().int().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`));
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

/** `device_id=` (empty) counts as absent. */
export const DeviceQuery = z.object({ device_id: z.string().max(256).optional().transform((v) => v || undefined) });

export const SeekQuery = DeviceQuery.extend({ position_ms: int('position_ms', 0, 24 * 3600_000) });
export const VolumeQuery = DeviceQuery.extend({ volume_percent: int('volume_percent', 0, 100) });
export const ShuffleQuery = DeviceQuery.extend({
  state: z.enum(['true', 'false'], { error: 'state must be true or false' }).transform((s) => s === 'true'),
});
export const RepeatQuery = DeviceQuery.extend({
  state: z.enum(['track', 'context', 'off'], { error: 'state must be track, context or off' }),
});
export const QueueQuery = DeviceQuery.extend({ uri: Uri });
export const ReadQuery = z.object({ additional_types: z.string().max(256).optional() });

export const TransferBody = z.object({
  device_ids: z
    .array(z.string().max(256), { error: 'device_ids must be an array with one device id' })
    .min(1, 'device_ids must name a device')
    .max(1, 'only one device id may be given in device_ids'),
  play: optional(z.boolean()),
});

export const PlayBody = z
  .object({
    context_uri: optional(Uri),
    uris: optional(z.array(Uri).min(1, 'uris must not be empty').max(100, 'at most 100 uris')),
    offset: optional(z.union([z.object({ position: z.number().int().min(0) }), z.object({ uri: Uri })], { error: 'offset must be {"position": n} or {"uri": "..."}' })),
    position_ms: optional(z.number().int().min(0).max(24 * 3600_000)),
  })
  .refine((b) => !(b.context_uri && b.uris), { message: 'give context_uri or uris, not both' });

/** Parse with a schema; a failure is BAD_REQUEST naming the first offending field. */
export function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.join('.');
  const message = issue?.message ?? 'invalid request';
  throw new HubError({ code: 'BAD_REQUEST', message: path && !message.startsWith(path) ? `${path}: ${message}` : message });
}

export const queryOf = (url: URL): Record<string, string> => Object.fromEntries(url.searchParams);

/** A device id from a request: one that cannot be ours is simply not found (the reference's ids are opaque). */
export function deviceIdOf(raw: string): string {
  if (!DeviceId.safeParse(raw).success) throw new HubError({ code: 'DEVICE_NOT_FOUND', message: `no device ${raw.slice(0, 64)}` });
  return raw;
}
