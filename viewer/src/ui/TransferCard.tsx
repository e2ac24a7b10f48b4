import type { TraceStore } from '../model/store.ts';
import { durationOf, gapOf, outcomeText, phasesOf, startErrorsOf, type Transfer } from '../model/transfers.ts';
import { corrColor, ms } from './format.ts';
import { deviceLabel } from './lanes.ts';

const PHASE_COLOR: Record<string, string> = {
  prepare: '#5cc8ff',
  schedule: '#c79bff',
  lead: '#f5c26b',
  confirm: '#7ee2a8',
  commit: '#ff9f5a',
};

/** A transfer at a glance: who to whom, outcome, total, per-phase breakdown and the measured gap. */
export function TransferCard({
  store,
  t,
  onSelect,
  compact = false,
}: {
  store: TraceStore;
  t: Transfer;
  onSelect?: (seq: number) => void;
  compact?: boolean;
}) {
  const phases = phasesOf(t);
  const total = Math.max(
    1,
    phases.reduce((a, p) => a + Math.max(0, p.ms), 0),
  );
  const gap = gapOf(t);
  const starts = startErrorsOf(t);
  const name = (id: string | null) => (id ? deviceLabel(store, id).name : '–');
  return (
    <div className={`transfer-card ${t.outcome}`} style={{ borderLeftColor: corrColor(t.id) }}>
      <div className="tc-head">
        <button className="link" onClick={() => onSelect?.(t.firstSeq)} title={`${t.id} · command ${t.commandId ?? '–'}`}>
          {t.sourceId ? `${name(t.sourceId)} → ${name(t.targetId)}` : t.outcome === 'refused' ? `to ${name(t.targetId)}` : `start on ${name(t.targetId)}`}
        </button>
        <span className={`badge ${t.outcome}`}>
          {t.outcome === 'committed' ? '✓ committed' : t.outcome === 'pending' ? '… pending' : `✗ ${t.code ?? t.outcome}`}
        </span>
        <span className="tc-total">{ms(durationOf(t))}</span>
      </div>
      <div className="tc-outcome" data-testid="transfer-outcome">
        {outcomeText(t, ms)}
      </div>
      <div className="phase-bar" role="img" aria-label={phases.map((p) => `${p.name} ${ms(p.ms)}`).join(', ') || 'no phases'}>
        {phases.map((p) => (
          <span
            key={p.name}
            style={{ flexGrow: Math.max(0.02, p.ms / total), background: PHASE_COLOR[p.name] }}
            title={`${p.name}: ${ms(p.ms)} (${p.hint})`}
          />
        ))}
      </div>
      {!compact && (
        <table className="phases">
          <tbody>
            {phases.map((p) => (
              <tr key={p.name}>
                <td>
                  <i style={{ background: PHASE_COLOR[p.name] }} />
                  {p.name}
                </td>
                <td className="num">{ms(p.ms)}</td>
                <td className="muted">{p.hint}</td>
              </tr>
            ))}
            <tr>
              <td>gap at switch</td>
              <td className={`num ${gap !== null && Math.abs(gap) > 10 ? 'bad' : ''}`}>
                {gap === null ? '–' : `${gap >= 0 ? '+' : ''}${ms(gap)}`}
              </td>
              <td className="muted">
                {gap === null
                  ? 'target did not report its start'
                  : gap >= 0
                    ? 'silence between source stop and target start'
                    : 'overlap: target started before T'}
              </td>
            </tr>
            {starts.length > 1 &&
              starts.map((s) => (
                <tr key={s.deviceId} className="member-start">
                  <td>start error, {name(s.deviceId)}</td>
                  <td className={`num ${Math.abs(s.ms) > 5 ? 'bad' : ''}`}>{`${s.ms >= 0 ? '+' : ''}${ms(s.ms)}`}</td>
                  <td className="muted">group member: its reported start minus T</td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
      {compact && (
        <div className="tc-foot muted">
          {t.id} · gap {gap === null ? '–' : ms(gap)}
        </div>
      )}
      {(t.outcome === 'rolled-back' || t.outcome === 'refused') && t.message && <div className="tc-error">{t.message}</div>}
    </div>
  );
}
