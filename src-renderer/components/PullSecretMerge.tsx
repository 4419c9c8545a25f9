/**
 * The mirror step's pull-secret merge (issue 17; `ferry import --pull-secret`
 * in the app): pick the cluster's pull secret, type the login the cluster
 * pulls from the mirror with, and Ferry saves a merged copy beside it. The
 * password is typed into a password field and never shown or echoed back.
 */
import { folderProblem } from '../screens/import/checks.ts';
import { useImport } from '../stores/import-store.ts';
import { PathField } from './PathField.tsx';

/** The fieldset. */
export function PullSecretMerge() {
  const s = useImport();
  const { file, saveAs, username, password } = s.pullSecret;
  const saved = s.pullSecretSaved;
  const ready = file.trim() !== '' && saveAs.trim() !== '' && username.trim() !== '' && password !== '' && !folderProblem(file) && !folderProblem(saveAs);
  return (
    <fieldset>
      <legend>Pull secret for the cluster</legend>
      <p className="hint">OpenShift pulls from the mirror with the login in its pull secret. Ferry adds the mirror&apos;s login to a copy and keeps every other registry&apos;s entry.</p>
      <PathField
        id="pull-secret"
        label="Pull secret file"
        kind="file"
        value={file}
        onChange={(value) => s.setPullSecret({ file: value })}
        invalid={folderProblem(file)?.replace('of the folder', 'of the file')}
        hint="The cluster's pull secret as JSON, for example from: oc get secret/pull-secret -n openshift-config"
      />
      <div className="field">
        <label htmlFor="pull-secret-user">User name the cluster pulls with</label>
        <input id="pull-secret-user" type="text" spellCheck={false} autoComplete="off" value={username} onChange={(e) => s.setPullSecret({ username: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor="pull-secret-password">Password the cluster pulls with</label>
        <input id="pull-secret-password" type="password" autoComplete="off" value={password} onChange={(e) => s.setPullSecret({ password: e.target.value })} />
      </div>
      <PathField
        id="pull-secret-save-as"
        label="Save the merged pull secret as"
        kind="file"
        value={saveAs}
        onChange={(value) => s.setPullSecret({ saveAs: value })}
        invalid={folderProblem(saveAs)?.replace('of the folder', 'of the file')}
        hint="Readable by you only. The original file is left as it was."
      />
      <div className="actions">
        <button type="button" className="primary" disabled={s.busy || !ready} onClick={() => void s.mergePullSecret()}>
          Add the mirror&apos;s login and save
        </button>
      </div>
      {saved && (
        <p role="status" className="notice notice-ok">
          Merged pull secret saved as <span className="mono">{saved.saved}</span>: logins for {saved.registries.join(', ')}; the mirror is {saved.registry}.
        </p>
      )}
    </fieldset>
  );
}
