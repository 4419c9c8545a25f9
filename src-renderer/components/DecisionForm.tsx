/**
 * The officer's Approve / Reject form: a key from the local keys folder (or a
 * `.key` file's path), its passphrase (a password field, cleared after every
 * attempt), a note (required to reject) and, for an older bundle, the
 * explicit rollback permission. The decision is signed on the engine side.
 */
import { useEffect } from 'react';
import { useReview } from '../stores/review-store.ts';
import { ErrorNotice } from './ErrorNotice.tsx';
import { PathField } from './PathField.tsx';

/** What the last decision wrote, in words. */
function DecidedNote() {
  const decided = useReview((s) => s.decided);
  if (!decided) return null;
  const what = decided.kind === 'rejection' ? 'Rejection' : 'Approval';
  return (
    <p role="status" className="notice notice-ok">
      {what} signed by {decided.keyName ?? decided.keyId} and written to <span className="mono">{decided.file}</span>. The review below is current.
    </p>
  );
}

/** The form; the review reloads after a decision. */
export function DecisionForm() {
  const { form, setForm, keys, loadKeys, decide, busy, error } = useReview();
  useEffect(() => {
    if (keys === null) void loadKeys();
  }, [keys, loadKeys]);
  const signing = (keys ?? []).filter((k) => k.canSign);
  return (
    <form
      aria-labelledby="decision-title"
      onSubmit={(e) => {
        e.preventDefault();
        void decide('approve');
      }}
    >
      <h3 id="decision-title">Your decision</h3>
      <DecidedNote />
      <fieldset>
        <legend>Sign with</legend>
        {signing.length > 0 && <p className="hint">Keys in this computer&apos;s keys folder: {signing.map((k) => k.name).join(', ')}.</p>}
        <PathField
          id="decision-key"
          label="Key name or key file (.key)"
          kind="file"
          placeholder={signing[0]?.name ?? 'officer-1'}
          value={form.key}
          onChange={(key) => setForm({ key })}
          hint="A key name from this computer's keys folder, or the path of a private key file."
        />
        <div className="field">
          <label htmlFor="decision-passphrase">Passphrase of the key</label>
          <input id="decision-passphrase" type="password" autoComplete="off" value={form.passphrase} onChange={(e) => setForm({ passphrase: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="decision-note">Note (required to reject)</label>
          <textarea id="decision-note" rows={2} value={form.note} onChange={(e) => setForm({ note: e.target.value })} />
        </div>
        <div className="check">
          <input id="decision-rollback" type="checkbox" checked={form.allowRollback} onChange={(e) => setForm({ allowRollback: e.target.checked })} />
          <label htmlFor="decision-rollback">Allow a rollback (this bundle is older than what the site holds on its channel)</label>
        </div>
      </fieldset>
      <ErrorNotice error={error} />
      <div className="actions">
        <button type="submit" disabled={busy}>
          Approve
        </button>
        <button type="button" disabled={busy || !form.note.trim()} onClick={() => void decide('reject')}>
          Reject
        </button>
      </div>
    </form>
  );
}
