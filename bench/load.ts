import { drift } from './load-drift.ts';
import { groups } from './load-groups.ts';
import { handoff } from './load-handoff.ts';
import { echoRtt, hubRtt, snapcastRtt } from './load-rtt.ts';
import { echoTput, hubTput, snapcastTput } from './load-tput.ts';

/**
 * A load process: runs one measurement described by the JSON in argv[2] against a server in
 * another process, and prints the result as one JSON line.
 */
type Spec =
  | ({ mode: 'echo-rtt'; url: string } & Parameters<typeof echoRtt>[1])
  | ({ mode: 'hub-rtt'; url: string; secret: string } & Parameters<typeof hubRtt>[2])
  | ({ mode: 'snapcast-rtt'; url: string; clientId: string } & Parameters<typeof snapcastRtt>[2])
  | ({ mode: 'echo-tput'; url: string } & Parameters<typeof echoTput>[1])
  | ({ mode: 'snapcast-tput'; url: string; clientId: string } & Parameters<typeof snapcastTput>[2])
  | ({ mode: 'hub-tput'; url: string; traceUrl: string; secret: string } & Parameters<typeof hubTput>[3])
  | ({ mode: 'handoff'; url: string; secret: string } & Parameters<typeof handoff>[2])
  | ({ mode: 'groups'; url: string; secret: string } & Parameters<typeof groups>[2])
  | ({ mode: 'drift'; url: string; secret: string } & Parameters<typeof drift>[2]);

const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
const result = await (() => {
  switch (spec.mode) {
    case 'echo-rtt':
      return echoRtt(spec.url, spec);
    case 'hub-rtt':
      return hubRtt(spec.url, spec.secret, spec);
    case 'snapcast-rtt':
      return snapcastRtt(spec.url, spec.clientId, spec);
    case 'echo-tput':
      return echoTput(spec.url, spec);
    case 'snapcast-tput':
      return snapcastTput(spec.url, spec.clientId, spec);
    case 'hub-tput':
      return hubTput(spec.url, spec.traceUrl, spec.secret, spec);
    case 'handoff':
      return handoff(spec.url, spec.secret, spec);
    case 'groups':
      return groups(spec.url, spec.secret, spec);
    case 'drift':
      return drift(spec.url, spec.secret, spec);
  }
})();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
