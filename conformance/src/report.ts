import type { ConformanceReport, ErrorStats } from './kit.ts';

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const fmt = (n: number | null) => (n === null ? '-' : `${n.toFixed(1)} ms`);

/** The report as a terminal table: one row per rule with its deciding evidence, then the timing, then every failure in full. */
export function formatReport(report: ConformanceReport): string {
  const rows = report.rules.map((r) => {
    const deciding = r.evidence.find((e) => e.startsWith('FAIL')) ?? r.headline ?? r.evidence.at(-1) ?? '';
    return [r.id, `rule ${r.clients}`, r.pass ? 'pass' : 'FAIL', deciding.replace(/^FAIL: /, '')];
  });
  const widths = [0, 1, 2].map((i) =>
    Math.max(...rows.map((row) => row[i]!.length), ['rule id', 'CLIENTS.md', 'result'][i]!.length),
  );
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? pad(c, widths[i]!) : c)).join('  ');
  const out = [
    `conformance of ${report.deviceId ?? '(no device)'}: ${report.device}`,
    '',
    line(['rule id', 'CLIENTS.md', 'result', 'evidence']),
    line(widths.map((w) => '-'.repeat(w)).concat('--------')),
    ...rows.map(line),
    '',
    timingLine('start at T', report.timing.start),
    timingLine('stop at T ', report.timing.stop),
  ];
  const failed = report.rules.filter((r) => !r.pass);
  for (const r of failed) out.push('', `${r.id} (${r.title}):`, ...r.evidence.map((e) => `  ${e}`));
  if (failed.length && report.output)
    out.push('', 'device output (last lines):', ...report.output.split('\n').map((l) => `  ${l}`));
  out.push(
    '',
    report.passed
      ? `PASS: all ${report.rules.length} rules`
      : `FAIL: ${failed.length} of ${report.rules.length} rules (${failed.map((r) => r.id).join(', ')})`,
  );
  return out.join('\n') + '\n';
}

function timingLine(what: string, s: ErrorStats): string {
  return `${what}: ${s.n ? `p50 ${fmt(s.p50)}, p99 ${fmt(s.p99)} over ${s.n} (absolute error, device against the scheduled server time)` : 'not measured'}`;
}
