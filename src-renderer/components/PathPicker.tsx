/**
 * The file picker dialog, rendered once for the whole app: a modal <dialog>
 * (focus kept inside, Escape closes it) listing one folder at a time, with
 * "New folder" as a system dialog has. Focus never drops to the page: after
 * the listing changes (up one folder, into a folder, a new folder) it moves
 * to the folder's path, which is also announced.
 */
import { useEffect, useRef, useState, type SubmitEvent } from 'react';
import { formatBytes } from '../format.ts';
import { usePicker } from '../stores/picker-store.ts';
import { ErrorNotice } from './ErrorNotice.tsx';

/** The "New folder" form: one name, made in the folder shown, then opened. */
function NewFolderForm({ onDone }: { onDone: () => void }) {
  const { busy, makeFolder } = usePicker();
  const [name, setName] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    void makeFolder(name).then((made) => {
      if (made) onDone();
      else input.current?.focus();
    });
  };
  return (
    <form className="row picker-new" onSubmit={submit}>
      <div className="field grow">
        <label htmlFor="picker-new-name">Name of the new folder</label>
        <input id="picker-new-name" ref={input} type="text" value={name} autoComplete="off" onChange={(e) => setName(e.target.value)} />
      </div>
      <button type="submit" className="primary" disabled={busy}>
        Create folder
      </button>
      <button type="button" onClick={onDone}>
        Do not create
      </button>
    </form>
  );
}

/** The picker; shown while a PathField has asked for a path. */
export function PathPicker() {
  const { request, listing, busy, error, browse, choose, close } = usePicker();
  const dialog = useRef<HTMLDialogElement>(null);
  const where = useRef<HTMLParagraphElement>(null);
  const [creating, setCreating] = useState(false);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (request && !element.open) element.showModal();
    if (!request && element.open) element.close();
    if (!request) setCreating(false);
  }, [request]);
  useEffect(() => {
    // The control that was clicked may be gone (a folder's button) or disabled (Up at the top): keep focus in the dialog.
    const element = dialog.current;
    if (!element?.open || listing === null) return;
    const active = document.activeElement;
    if (active === null || active === document.body || !element.contains(active) || (active as HTMLButtonElement).disabled) where.current?.focus();
  }, [listing]);
  const choosingFolder = request?.kind === 'folder';
  return (
    <dialog ref={dialog} className="picker" aria-labelledby="picker-title" onClose={close}>
      {request && (
        <>
          <h2 id="picker-title">
            {choosingFolder ? 'Choose a folder' : 'Choose a file'}: {request.title}
          </h2>
          <p className="mono picker-where" aria-live="polite" tabIndex={-1} ref={where}>
            {listing?.path ?? 'Loading…'}
          </p>
          <ErrorNotice error={error} />
          <div className="actions">
            <button type="button" disabled={!listing?.parent} aria-disabled={busy || undefined} onClick={() => !busy && void browse(listing?.parent ?? undefined)}>
              Up one folder
            </button>
            <button type="button" disabled={!listing || creating} onClick={() => setCreating(true)}>
              New folder
            </button>
            {choosingFolder && (
              <button type="button" className="primary" disabled={busy || !listing} onClick={() => listing && choose(listing.path)}>
                Choose this folder
              </button>
            )}
            <button type="button" onClick={close}>
              Cancel
            </button>
          </div>
          {creating && (
            <NewFolderForm
              onDone={() => {
                // The form's controls go away with it: focus the folder shown (the new one, once made).
                where.current?.focus();
                setCreating(false);
              }}
            />
          )}
          {listing && (
            <ul className="picker-list" aria-label={`Entries in ${listing.path}`}>
              {listing.entries.length === 0 && <li className="hint">This folder is empty.</li>}
              {listing.entries.map((entry) => (
                <li key={entry.path}>
                  {entry.kind === 'folder' ? (
                    <button type="button" disabled={busy} onClick={() => void browse(entry.path)}>
                      <span aria-hidden="true">▸ </span>
                      {entry.name}/
                    </button>
                  ) : (
                    <button type="button" disabled={busy || choosingFolder} onClick={() => choose(entry.path)}>
                      {entry.name}
                    </button>
                  )}
                  {entry.size !== null && <span className="hint"> {formatBytes(entry.size)}</span>}
                </li>
              ))}
              {listing.truncated && <li className="hint">More entries than can be shown; type the path instead.</li>}
            </ul>
          )}
        </>
      )}
    </dialog>
  );
}
