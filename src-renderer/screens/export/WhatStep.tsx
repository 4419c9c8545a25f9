/** Step 1 of the export wizard: the references (typed, picked, from a saved set or a file), a Deckhouse license, and access to their registries. */
import { AccessFields } from '../../components/AccessFields.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { OpenShiftEndpoints } from '../../components/OpenShiftEndpoints.tsx';
import { PathField } from '../../components/PathField.tsx';
import { SaveAsSet, SavedSets } from '../../components/SavedSets.tsx';
import { parseReferences } from '../../format.ts';
import { useBrowse } from '../../stores/browse-store.ts';
import { useExport } from '../../stores/export-store.ts';
import { PlanProblems } from './PlanStep.tsx';

/** What to carry. */
export function WhatStep() {
  const s = useExport();
  const startPick = useBrowse((b) => b.startPick);
  const count = parseReferences(s.referencesText).length;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void s.planExport();
      }}
    >
      <div className="field">
        <label htmlFor="references">Image references, one per line (lines starting with # are comments)</label>
        <textarea id="references" rows={8} spellCheck={false} value={s.referencesText} aria-describedby="references-hint" onChange={(e) => s.set({ referencesText: e.target.value })} />
        <p id="references-hint" className="hint">
          {count} reference{count === 1 ? '' : 's'}. Example: registry.example.com/team/app:1.2
        </p>
      </div>
      <div className="actions">
        <button type="button" onClick={startPick}>
          Pick from the registry
        </button>
      </div>
      <SaveAsSet references={parseReferences(s.referencesText)} platforms={s.platforms} />
      <SavedSets chosen={s.setFile} onChoose={s.chooseSet} />
      <PathField
        id="image-list-file"
        label="Image list file (path, optional)"
        kind="file"
        value={s.imageListFile}
        onChange={(imageListFile) => s.set({ imageListFile })}
        hint="A text file with one image reference per line; lines starting with # are comments."
      />
      <PathField
        id="set-file"
        label="Image set file (path, optional)"
        kind="file"
        value={s.setFile}
        onChange={(setFile) => s.set({ setFile })}
        hint="A YAML image set (images, image lists, Deckhouse, OpenShift) or an oc-mirror ImageSetConfiguration."
      />
      {s.setFile.trim() !== '' && (
        <div className="field">
          <label htmlFor="deckhouse-license">Deckhouse license key (only for a set with a Deckhouse section)</label>
          <input
            id="deckhouse-license"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={s.deckhouseLicense}
            aria-describedby="deckhouse-license-hint"
            onChange={(e) => s.set({ deckhouseLicense: e.target.value })}
          />
          <p id="deckhouse-license-hint" className="hint">
            Logs in to the set&apos;s Deckhouse registry in place of the set&apos;s own license line. Kept only while this window is open: never saved, logged or written into the bundle.
          </p>
        </div>
      )}
      <OpenShiftEndpoints values={{ updateService: s.updateService, signatureStore: s.signatureStore }} onChange={(patch) => s.set(patch)} />
      <AccessFields legend="Source registry access" idPrefix="source" access={s.access} onChange={s.setAccess} prefilledFrom={s.prefilledFrom} />
      {s.plan && s.plan.problems.length > 0 && (
        // With some references resolved, the rest can go without the ones named (they are listed in the bundle as skipped).
        <PlanProblems problems={s.plan.problems} {...(s.plan.images.length > 0 ? { onContinue: () => s.continueWithout() } : {})} />
      )}
      <ErrorNotice error={s.error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={s.busy}>
          {s.busy ? 'Planning…' : 'Plan export'}
        </button>
      </div>
    </form>
  );
}
