/** The import wizard's Target step: the registry (or Ferry's own), the site, access, a connection test and the registry check; the address is checked as it is typed. */
import { AccessFields } from '../../components/AccessFields.tsx';
import { FieldHelp } from '../../components/FieldHelp.tsx';
import { ConnectionTestNotice } from '../../components/ConnectionTestNotice.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { RunRegistryHere } from '../../components/RunRegistryHere.tsx';
import { useImport } from '../../stores/import-store.ts';
import { engineProblem, registryAddressProblem } from './checks.ts';
import { RegistryCheckResult } from './RegistryCheck.tsx';

/** Step 4. */
export function TargetStep() {
  const s = useImport();
  const typedProblem = registryAddressProblem(s.target);
  const problem = typedProblem ?? engineProblem(s.error, 'target', 'registry', 'prefix');
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (typedProblem === undefined) void s.review();
        else document.getElementById('registry')?.focus();
      }}
    >
      <RunRegistryHere />
      <div className="field">
        <label htmlFor="registry">Registry address and prefix</label>
        <input
          id="registry"
          type="text"
          spellCheck={false}
          placeholder="registry.local:5000/mirror"
          value={s.target}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? 'registry-error' : 'registry-hint'}
          onChange={(e) => {
            s.set({ target: e.target.value });
          }}
        />
        {problem ? (
          <p id="registry-error" className="field-error">
            {problem}
          </p>
        ) : (
          <p id="registry-hint" className="hint">
            Host, port and the path the images go under, without http://. Ferry remembers it for the next import.
          </p>
        )}
        <FieldHelp term="prefix" />
      </div>
      <div className="field">
        <label htmlFor="site">Site name (optional: recorded in the receipt, so the next bundle for this site carries only what is new)</label>
        <input
          id="site"
          type="text"
          spellCheck={false}
          placeholder="plant-7"
          value={s.site}
          onChange={(e) => {
            s.set({ site: e.target.value });
          }}
        />
      </div>
      <AccessFields legend="Target registry access" idPrefix="target" access={s.access} onChange={s.setAccess} prefilledFrom={s.prefilledFrom} />
      <div className="actions">
        <button type="button" disabled={s.busy || !s.target.trim() || typedProblem !== undefined} onClick={() => void s.testConnection()}>
          Test connection
        </button>
        <button type="button" disabled={s.busy || !s.target.trim() || typedProblem !== undefined} onClick={() => void s.checkRegistry()}>
          Check registry
        </button>
      </div>
      <p className="hint">
        “Check registry” finds out what the registry takes (path depth, kinds of images, repositories) and whether this bundle fits, before anything is pushed. It writes a tiny test file and removes
        it again.
      </p>
      <ConnectionTestNotice test={s.test} />
      <RegistryCheckResult />
      {!problem && <ErrorNotice error={s.error} />}
      <div className="actions">
        <button type="button" onClick={() => s.goTo('inspect')}>
          Back
        </button>
        <button type="submit" className="primary" disabled={s.busy}>
          Review before pushing
        </button>
      </div>
    </form>
  );
}
