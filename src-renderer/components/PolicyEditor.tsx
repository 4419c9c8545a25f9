/**
 * The site policy editor of the Settings screen: the policy file's YAML in a
 * text area, saved through the engine, which refuses invalid text naming the
 * line; the editor then says which line and marks the field invalid.
 */
import { useEffect } from 'react';
import { problemLine, usePolicy } from '../stores/policy-store.ts';
import { ErrorNotice } from './ErrorNotice.tsx';

/** Where the policy is and what it does, before the text area. */
function PolicyStatus() {
  const saved = usePolicy((s) => s.saved);
  if (!saved) return <p role="status">Reading the site policy…</p>;
  return (
    <p className="hint" id="policy-hint">
      {saved.text === null ? 'This site has no policy yet: any bundle that verifies may be imported. ' : `Digest ${saved.digest ?? ''}; approvals name it. `}
      Saved as <span className="mono">{saved.path}</span>. See docs/trust.md, &quot;Site policy&quot;.
    </p>
  );
}

/** The editor: text area, Save, and the refusal with its line. */
export function PolicyEditor() {
  const { saved, draft, busy, error, savedNote, load, edit, save } = usePolicy();
  useEffect(() => {
    if (saved === null) void load();
  }, [saved, load]);
  const line = problemLine(error);
  return (
    <form
      aria-labelledby="policy-title"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h3 id="policy-title">Site policy</h3>
      <PolicyStatus />
      <div className="field">
        <label htmlFor="policy-text">Policy (YAML)</label>
        <textarea
          id="policy-text"
          rows={16}
          spellCheck={false}
          className="mono"
          aria-describedby={line !== null ? 'policy-problem policy-hint' : 'policy-hint'}
          aria-invalid={error !== null}
          value={draft}
          onChange={(e) => edit(e.target.value)}
        />
      </div>
      {line !== null && (
        <p id="policy-problem" className="warn">
          Line {line} of the policy is not valid.
        </p>
      )}
      <ErrorNotice error={error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || saved === null}>
          Save policy
        </button>
        <span role="status">{savedNote ? 'Policy saved.' : ''}</span>
      </div>
    </form>
  );
}
