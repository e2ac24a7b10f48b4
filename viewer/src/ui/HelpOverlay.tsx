import { SHORTCUTS } from './keyboard.ts';

export function HelpOverlay({ onClose }: { onClose: () => void }) {
  return (
    <div className="overlay" onClick={onClose} role="dialog" aria-label="Keyboard shortcuts">
      <div className="help" onClick={(ev) => ev.stopPropagation()}>
        <h2>Keyboard</h2>
        <table>
          <tbody>
            {SHORTCUTS.map(([k, what]) => (
              <tr key={k}>
                <td>
                  <kbd>{k}</kbd>
                </td>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="muted small">
          Filters, the selected event and the user are in the address bar: copy it to share this exact view. Text search takes{' '}
          <code>/regular expressions/</code>.
        </p>
        <button onClick={onClose}>Close</button>
      </div>
    </div>
  );
}
