import { useEffect, useRef } from 'react';
import { SHORTCUTS } from './keyboard.ts';

/** The keyboard help, a modal dialog: it takes focus, Esc closes it, and focus goes back where it was. */
export function HelpOverlay({ onClose }: { onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    close.current?.focus();
    // Capture, so the list's own Esc (clear the selection) does not also run.
    const onKey = (ev: KeyboardEvent) => {
      if (ev.key !== 'Escape' && ev.key !== '?') return;
      ev.preventDefault();
      ev.stopImmediatePropagation();
      onClose();
    };
    window.addEventListener('keydown', onKey, true);
    return () => {
      window.removeEventListener('keydown', onKey, true);
      before?.focus();
    };
  }, [onClose]);
  return (
    <div className="overlay" onClick={onClose}>
      <div className="help" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" onClick={(ev) => ev.stopPropagation()}>
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
          <code>/regular expressions/</code> and the field terms <code>device:</code> <code>type:</code> <code>code:</code>{' '}
          <code>corr:</code>.
        </p>
        <button ref={close} onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}
