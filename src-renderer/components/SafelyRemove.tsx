/**
 * "Safely remove drive" (issue 17: after an export, an import or a receipt
 * write): shown when the bundle lies on a removable drive; flushes, unmounts
 * and powers it off through `drives:eject`, the outcome announced in a live region.
 */
import { driveHolding } from '../drive-match.ts';
import { useDrives } from '../stores/drives-store.ts';
import type { EjectState } from '../stores/eject.ts';
import { ErrorNotice } from './ErrorNotice.tsx';

/** The section, for the drive holding `bundle`; nothing when it lies on no removable drive. */
export function SafelyRemove({ bundle, eject, onEject }: { bundle: string; eject: EjectState; onEject: (path: string) => void }) {
  const drives = useDrives((d) => d.drives);
  const drive = driveHolding(
    bundle,
    drives.filter((d) => d.removable),
  );
  const path = drive?.path ?? (eject.state === 'idle' ? undefined : eject.path);
  if (path === undefined) return null;
  const name = drive?.label || path;
  return (
    <section aria-labelledby="remove-heading">
      <h3 id="remove-heading">Removable drive</h3>
      <div className="actions">
        <button type="button" disabled={eject.state === 'ejecting' || eject.state === 'ejected'} onClick={() => onEject(path)}>
          {eject.state === 'ejecting' ? 'Removing…' : 'Safely remove drive'}
        </button>
      </div>
      <p role="status" aria-live="polite">
        {eject.state === 'ejecting' && `Flushing and unmounting ${name}…`}
        {eject.state === 'ejected' && `${name} can now be unplugged safely.`}
      </p>
      {eject.state === 'failed' && <ErrorNotice error={eject.error} />}
    </section>
  );
}
