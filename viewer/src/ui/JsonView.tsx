import { useState, type ReactNode } from 'react';

/** Pretty JSON with colours, folding objects past the first levels; large payloads stay fast. */
export function JsonView({ value, open = 2 }: { value: unknown; open?: number }) {
  return (
    <pre className="json">
      <Node value={value} depth={0} open={open} />
    </pre>
  );
}

function Node({ value, depth, open }: { value: unknown; depth: number; open: number }): ReactNode {
  const [expanded, setExpanded] = useState(depth < open);
  if (value === null) return <span className="j-null">null</span>;
  if (typeof value === 'string') return <span className="j-str">{JSON.stringify(value)}</span>;
  if (typeof value === 'number') return <span className="j-num">{String(value)}</span>;
  if (typeof value === 'boolean') return <span className="j-bool">{String(value)}</span>;
  if (typeof value !== 'object') return <span>{typeof value === 'bigint' ? value.toString() : typeof value}</span>;
  const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  const [o, c] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return <span>{o + c}</span>;
  if (!expanded) {
    return (
      <span className="j-fold" onClick={() => setExpanded(true)} title="expand">
        {o} {entries.length} {Array.isArray(value) ? 'items' : 'keys'} {c}
      </span>
    );
  }
  const pad = '  '.repeat(depth + 1);
  return (
    <span>
      <span className="j-fold" onClick={() => setExpanded(false)} title="fold">
        {o}
      </span>
      {'\n'}
      {entries.map(([k, v], i) => (
        <span key={k}>
          {pad}
          {!Array.isArray(value) && <span className="j-key">{JSON.stringify(k)}</span>}
          {!Array.isArray(value) && ': '}
          <Node value={v} depth={depth + 1} open={open} />
          {i < entries.length - 1 ? ',' : ''}
          {'\n'}
        </span>
      ))}
      {'  '.repeat(depth)}
      {c}
    </span>
  );
}
