/**
 * A confirmation before an action that writes or throws work away (issue 17:
 * before a push, before cancelling one): a modal <dialog> (focus kept inside,
 * Escape says no) that names what will happen, with the safe answer focused.
 */
import { useEffect, useRef, type ReactNode } from 'react';

/** Shown while `open`; `onAnswer(true)` for the action, `onAnswer(false)` for the way out (its button, Escape). */
export function ConfirmDialog({ open, title, children, yes, no, onAnswer }: { open: boolean; title: string; children: ReactNode; yes: string; no: string; onAnswer: (yes: boolean) => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);
  return (
    <dialog ref={dialog} className="picker confirm" aria-labelledby="confirm-title" onCancel={() => onAnswer(false)}>
      {open && (
        <>
          <h2 id="confirm-title">{title}</h2>
          {children}
          <div className="actions">
            <button type="button" className="primary" onClick={() => onAnswer(true)}>
              {yes}
            </button>
            <button type="button" autoFocus onClick={() => onAnswer(false)}>
              {no}
            </button>
          </div>
        </>
      )}
    </dialog>
  );
}
