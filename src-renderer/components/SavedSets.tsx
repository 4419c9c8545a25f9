/**
 * Saved image sets in the export wizard: save the references typed so far as
 * a named set, and pick a saved set: its references fill the reference box
 * (a set with other sections becomes the image set file of this export).
 */
import type { SavedSet } from '../../src-shared/api/contract.ts';
import { ErrorNotice } from './ErrorNotice.tsx';
import { formatLocalTime } from '../format.ts';
import { useSavedSets } from '../stores/saved-sets-store.ts';

/** "Save these references as a set": the same references, by name, for next month's bundle. */
export function SaveAsSet({ references, platforms }: { references: string[]; platforms: string[] }) {
  const { name, busy, error, saved, setName, save } = useSavedSets();
  if (references.length === 0) return null;
  return (
    <div className="row">
      <div className="field">
        <label htmlFor="set-name">Save these references as a set named</label>
        <input id="set-name" type="text" value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <div className="field">
        <button type="button" disabled={busy || !name.trim()} onClick={() => void save(references, platforms)}>
          Save set
        </button>
      </div>
      {saved && (
        <p role="status" className="hint">
          Saved as <span className="mono">{saved.path}</span>.
        </p>
      )}
      <ErrorNotice error={error} />
    </div>
  );
}

/** The saved sets, each one click from being the image set file of this export. */
export function SavedSets({ chosen, onChoose }: { chosen: string; onChoose: (set: SavedSet) => void }) {
  const sets = useSavedSets((s) => s.sets);
  if (sets.length === 0) return null;
  return (
    <fieldset>
      <legend>Saved sets</legend>
      <ul className="found-bundles" aria-label="Saved sets">
        {sets.map((set) => (
          <li key={set.path}>
            <button type="button" aria-pressed={chosen === set.path} onClick={() => onChoose(set)}>
              Use set {set.name}
            </button>
            <span className="hint">
              {' '}
              {set.references ? `${set.references.length} reference${set.references.length === 1 ? '' : 's'}, ` : ''}saved {formatLocalTime(set.modified)}
            </span>
          </li>
        ))}
      </ul>
    </fieldset>
  );
}
