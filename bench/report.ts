import type { AbuseResult } from './abuse.ts';
import { abuseRows } from './abuse-cli.ts';
import type { ConnectionsResult } from './scenarios.ts';
import { table } from './table.ts';

interface Results {
  echoRttP50Us: number;
  echoRttP99Us: number;
  hubRttP50Us: number;
  hubRttP99Us: number;
  rttRatioP50: number;
  rttRatioP99: number;
  echoMsgsPerSec: number;
  hubCmdsPerSec: number;
  throughputRatio: number;
  fanout: {
    rttP50Us: number;
    rttP99Us: number;
    cmdsPerSec: number;
    rttRatioP50: number;
    rttRatioP99: number;
    throughputRatio: number;
    hubRttP50: number;
    hubRttP99: number;
    hubThroughput: number;
  };
  handoff: { count: number; p50Ms: number; p99Ms: number; gapP99Ms: number; overlapP99Ms: number; positionErrorP99Ms: number };
  groups?: { count: number; startSkewP99Ms: number; joinErrorP99Ms: number; driftErrorP99Ms: number; failed: number };
  connections: ConnectionsResult | null;
  abuse: AbuseResult | null;
  traceOverheadRatio: number;
  viewerCmdsPerSec: number;
  throughputRatioPerCpu: number;
  traceOverheadRatioPerCpu: number;
  peers: { snapcast?: { rttP50Us: number; rttP99Us: number; rttRatioP50: number; rttRatioP99: number; cmdsPerSec?: number; hubThroughput?: number } };
  runs: number;
  env: { node: string; cpus: number; date: string; pinned: boolean; loadAvg1m: number };
  notes: string[];
}

const verdict = (ok: boolean | null) => (ok === null ? '' : ok ? 'met' : 'MISSED');
const atMost = (v: number, limit: number) => (Number.isFinite(v) ? v <= limit : null);
const atLeast = (v: number, limit: number) => (Number.isFinite(v) ? v >= limit : null);

/** The results as a table people read: figure, value, target, verdict. */
export function report(r: Results): string {
  const snap = r.peers.snapcast;
  const c = r.connections;
  const rows: Array<Array<string | number>> = [
    ['echo rtt p50 / p99 (us)', `${fmt(r.echoRttP50Us)} / ${fmt(r.echoRttP99Us)}`, 'floor', ''],
    [
      'hub rtt p50 / p99 (us)',
      `${fmt(r.hubRttP50Us)} / ${fmt(r.hubRttP99Us)}`,
      snap ? '<= 1.2x / 1x snapcast' : '',
      snap ? verdict(r.hubRttP50Us <= 1.2 * snap.rttP50Us && r.hubRttP99Us <= snap.rttP99Us) : '',
    ],
    ...(snap
      ? [['snapcast rtt p50 / p99 (us)', `${fmt(snap.rttP50Us)} / ${fmt(snap.rttP99Us)}`, 'peer', ''] as Array<string | number>]
      : []),
    ['rtt ratio p50 (hub / echo)', r.rttRatioP50, '<= 2', verdict(atMost(r.rttRatioP50, 2))],
    ['rtt ratio p99 (hub / echo)', r.rttRatioP99, '<= 2', verdict(atMost(r.rttRatioP99, 2))],
    ...(snap
      ? [
          [
            'snapcast ratio p50 / p99',
            `${fmt(snap.rttRatioP50)} / ${fmt(snap.rttRatioP99)}`,
            'peer',
            '',
          ] as Array<string | number>,
        ]
      : []),
    ...(snap?.cmdsPerSec !== undefined
      ? [
          ['snapcast cmds/s', snap.cmdsPerSec, 'peer', ''] as Array<string | number>,
          ['hub / snapcast cmds/s', snap.hubThroughput ?? NaN, '>= 1', verdict(atLeast(snap.hubThroughput ?? NaN, 1))] as Array<string | number>,
        ]
      : []),
    ['echo msgs/s', r.echoMsgsPerSec, 'floor', ''],
    ['hub cmds/s', r.hubCmdsPerSec, '', ''],
    ['throughput ratio', r.throughputRatio, '>= 0.5', verdict(atLeast(r.throughputRatio, 0.5))],
    ['fan-out floor rtt p50 / p99 (us)', `${fmt(r.fanout.rttP50Us)} / ${fmt(r.fanout.rttP99Us)}`, 'floor', ''],
    ['fan-out floor cmds/s', r.fanout.cmdsPerSec, 'floor', ''],
    [
      '  fan-out / echo: rtt p50, p99, throughput',
      `${fmt(r.fanout.rttRatioP50)} / ${fmt(r.fanout.rttRatioP99)} / ${fmt(r.fanout.throughputRatio)}`,
      '',
      '',
    ],
    [
      '  hub / fan-out: rtt p50, p99, throughput',
      `${fmt(r.fanout.hubRttP50)} / ${fmt(r.fanout.hubRttP99)} / ${fmt(r.fanout.hubThroughput)}`,
      'throughput >= 0.6',
      verdict(atLeast(r.fanout.hubThroughput, 0.6)),
    ],
    ['hub cmds/s, viewer on every user', r.viewerCmdsPerSec, '', ''],
    ['trace overhead ratio', r.traceOverheadRatio, '>= 0.8', verdict(atLeast(r.traceOverheadRatio, 0.8))],
    ['  per server cpu-second: throughput ratio', r.throughputRatioPerCpu, '', ''],
    ['  per server cpu-second: trace overhead', r.traceOverheadRatioPerCpu, '', ''],
    ['handoffs measured', r.handoff.count || '-', '', ''],
    ['transfer p50 / p99 (ms)', `${fmt(r.handoff.p50Ms)} / ${fmt(r.handoff.p99Ms)}`, '', ''],
    ['handoff gap p99 (ms)', r.handoff.gapP99Ms, '< 10', verdict(atMost(r.handoff.gapP99Ms, 10))],
    ['handoff overlap p99 (ms)', r.handoff.overlapP99Ms, '< 10', verdict(atMost(r.handoff.overlapP99Ms, 10))],
    ['position error p99 (ms)', r.handoff.positionErrorP99Ms, '< 10', verdict(atMost(r.handoff.positionErrorP99Ms, 10))],
    ...(r.groups
      ? ([
          ['group starts measured (failed)', `${r.groups.count} (${r.groups.failed})`, '', ''],
          ['group start skew p99 (ms)', r.groups.startSkewP99Ms, '< 5', verdict(atMost(r.groups.startSkewP99Ms, 5))],
          ['group late-join error p99 (ms)', r.groups.joinErrorP99Ms, '< 5', verdict(atMost(r.groups.joinErrorP99Ms, 5))],
          ['group drift error p99 over 10 min (ms)', r.groups.driftErrorP99Ms, '< 10', verdict(atMost(r.groups.driftErrorP99Ms, 10))],
        ] as Array<Array<string | number>>)
      : []),
    ...(c
      ? ([
          ['fleet connections held', `${c.connectedAtStart} connected, ${c.held} at the end, on ${c.hubProcesses} hub(s)`, '100k on request', ''],
          ['fleet connect time (s)', c.connectS, c.held >= 100_000 ? '<= 120' : '', c.held >= 100_000 ? verdict(atMost(c.connectS, 120)) : ''],
          ['connect storm: devices/s per hub process', c.connectsPerSecPerHub, '>= 2000', verdict(atLeast(c.connectsPerSecPerHub, 2000))],
          ['  devices per hub CPU-second (a hub with its core)', c.connectsPerHubCpuSec, '>= 2000', verdict(atLeast(c.connectsPerHubCpuSec, 2000))],
          ['  one connect, socket to welcome, p50 / p99 (ms)', `${fmt(c.connectLatencyP50Ms)} / ${fmt(c.connectLatencyP99Ms)} (${c.connectConcurrency} at a time per fleet process)`, '', ''],
          ['hub RSS per connection, rings filled (KB)', c.hubRssPerConnKB, '<= 12', verdict(atMost(c.hubRssPerConnKB, 12))],
          ['  just connected (KB)', c.hubRssPerConnKBConnected, '', ''],
          ['  live heap, rings filled, after a full GC (KB)', c.hubHeapPerConnKB, '', ''],
          ...(Object.keys(c.lost).length ? [['  connections the hubs closed', JSON.stringify(c.lost), '', '']] : []),
          ['fleet transfers/s', c.transfersPerSec, '', ''],
          ['fleet transfer p99, hub path (ms)', c.transferP99Ms, '< 50', verdict(atMost(c.transferP99Ms, 50))],
          ['fleet transfer p99, with switch lead (ms)', c.transferTotalP99Ms, '', ''],
          ...(['connect', 'transfers', 'close'] as const).map((name) => {
            const p = c.phases[name];
            return [`  ${name}: CPU-s hubs / fleet (of ${fmt(p.wallS)} s)`, `${fmt(p.hubsCpuS)} / ${fmt(p.fleetCpuS)}`, '', ''];
          }),
          ...c.failures.map((f) => ['  fleet shard failed', f, '', 'MISSED']),
        ] as Array<Array<string | number>>)
      : []),
  ];
  if (r.abuse) rows.push(...abuseRows(r.abuse, verdict));
  const head = `handoff hub benchmark: median of ${r.runs} run(s); node ${r.env.node}, ${r.env.cpus} cpus, ${r.env.pinned ? 'hub on core 0, load on core 1' : 'not pinned'}, load average ${r.env.loadAvg1m}, ${r.env.date}`;
  // Scenarios that did not run (`--only`) leave rows with no figure: left out.
  const measured = rows.filter(([, value]) => !/^[-/ ]*$/.test(typeof value === 'number' ? fmt(value) : value ?? '') || value === '');
  return [head, '', table(['figure', 'value', 'target', ''], measured), ...r.notes.map((n) => `note: ${n}`)].join('\n');
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return '-';
  return Math.abs(n) >= 100 ? Math.round(n).toString() : n.toFixed(Math.abs(n) >= 10 ? 1 : 2);
}
