import { parseArgs } from 'node:util';
import { runConformance, type ConformanceOptions } from './kit.ts';
import { formatReport } from './report.ts';
import { RULE_IDS, type RuleId } from './rules.ts';

const USAGE = `npm run conformance -- --device "<command>" | --url ws://host:port [options]

Certifies a device against docs/CLIENTS.md: runs a real hub with short timings, hands the device
HANDOFF_URL, HANDOFF_TOKEN, HANDOFF_PROBE_URL and HANDOFF_DEVICE_ID, drives it through one
scenario per rule, and reports each rule's pass or fail with evidence (docs/CONFORMANCE.md).

  --device <command>   start the device with this shell command (the kit stops it at the end)
  --url ws://host:port listen there and wait for a device started by hand with the printed environment
  --rules a,b          only these rules (${RULE_IDS.join(', ')})
  --transfers <n>      transfers each way in the switch scenario (default 5)
  --tolerance-ms <n>   allowed median error at T; p99 may be 3x (default 20)
  --json               the report as JSON on stdout
Exit code: 0 when every rule passes, 1 when one fails, 2 on bad usage.
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        device: { type: 'string' },
        url: { type: 'string' },
        rules: { type: 'string' },
        transfers: { type: 'string' },
        'tolerance-ms': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    return fail((err as Error).message);
  }
})();
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (!values.device === !values.url) fail('give exactly one of --device and --url');

const positive = (name: string, raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a whole number of at least 1, got ${JSON.stringify(raw)}`);
  return n;
};
const rules = values.rules?.split(',').map((r) => r.trim());
const unknown = rules?.filter((r) => !(RULE_IDS as string[]).includes(r));
if (unknown?.length) fail(`unknown rule ${unknown.join(', ')}`);

let device: ConformanceOptions['device'];
if (values.device) device = { command: values.device };
else {
  const url = (() => {
    try {
      return new URL(values.url!);
    } catch {
      return fail(`--url must look like ws://host:port, got ${JSON.stringify(values.url)}`);
    }
  })();
  device = { listen: { host: url.hostname, port: Number(url.port || 80) } };
}
const transfers = positive('transfers', values.transfers);
const toleranceMs = positive('tolerance-ms', values['tolerance-ms']);

const report = await runConformance({
  device,
  ...(rules ? { rules: rules as RuleId[] } : {}),
  settings: { ...(transfers ? { transfers } : {}), ...(toleranceMs ? { toleranceMs } : {}) },
  onProgress: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
process.exit(report.passed ? 0 : 1);
