import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/**
 * What a device under test reports of its own output (docs/CONFORMANCE.md): one JSON object per
 * POST to HANDOFF_PROBE_URL, stamped `at` on the same steady clock as its clock.pong answers.
 */
export const ProbeEvent = z.discriminatedUnion('event', [
  z.object({ event: z.literal('start'), at: z.number(), trackUri: z.string(), positionMs: z.number() }),
  z.object({ event: z.literal('stop'), at: z.number() }),
  z.object({ event: z.literal('volume'), at: z.number(), percent: z.number() }),
]);
export type ProbeEvent = z.infer<typeof ProbeEvent>;

export interface Reported {
  event: ProbeEvent;
  /** When the report arrived, on the kit's clock. */
  receivedAt: number;
}

/** The kit's end of the probe: an HTTP endpoint collecting the device's reports. */
export class Probe {
  readonly reports: Reported[] = [];
  readonly refused: string[] = [];
  private readonly watchers = new Set<() => void>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(now: () => number, host = '127.0.0.1'): Promise<Probe> {
    let probe: Probe | null = null;
    const server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        if (body.length < 4096) body += chunk;
      });
      req.on('end', () => {
        const parsed = safeJson(body);
        const event = ProbeEvent.safeParse(parsed);
        if (req.method !== 'POST' || !event.success) {
          probe?.refused.push(body.slice(0, 120));
          res.writeHead(400, { 'content-type': 'text/plain' }).end('expected {"event":"start"|"stop"|"volume","at":...}\n');
          return;
        }
        probe?.reports.push({ event: event.data, receivedAt: now() });
        for (const w of [...(probe?.watchers ?? [])]) w();
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    probe = new Probe(server, `http://${host}:${(server.address() as AddressInfo).port}/probe`);
    return probe;
  }

  /** Reports from index `since` on, of one kind. */
  since<K extends ProbeEvent['event']>(since: number, kind: K): Array<Extract<ProbeEvent, { event: K }>> {
    return this.reports
      .slice(since)
      .map((r) => r.event)
      .filter((e): e is Extract<ProbeEvent, { event: K }> => e.event === kind);
  }

  /** Resolve once `predicate` holds (checked on every report), or false after `timeoutMs`. */
  until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    if (predicate()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => predicate() && done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.watchers.delete(check);
        resolve(value);
      };
      this.watchers.add(check);
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
