/**
 * The file picker dialog, rendered once for the whole app: a modal <dialog>
 * (focus kept inside, Escape closes it) listing one folder at a time.
 */
import { useEffect, useRef } from 'react';
import { formatBytes } from '../../src-shared/units.ts';
import { usePicker } from '../stores/picker-store.ts';
import { ErrorNotice } from './ErrorNotice.tsx';

/** The picker; shown while a PathField has asked for a path. */
export function PathPicker() {
  const { request, listing, busy, error, browse, choose, close } = usePicker();
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (request && !element.open) element.showModal();
    if (!request && element.open) element.close();
  }, [request]);
  const choosingFolder = request?.kind === 'folder';
  return (
    <dialog ref={dialog} className="picker" aria-labelledby="picker-title" onClose={close}>
      {request && (
        <>
          <h2 id="picker-title">
            {choosingFolder ? 'Choose a folder' : 'Choose a file'}: {request.title}
          </h2>
          <p className="mono" aria-live="polite">
            {listing?.path ?? 'Loading…'}
          </p>
          <ErrorNotice error={error} />
          <div className="actions">
            <button type="button" disabled={busy || !listing?.parent} onClick={() => void browse(listing?.parent ?? undefined)}>
              Up one folder
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
