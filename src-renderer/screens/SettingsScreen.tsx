/** Settings: the registries the user works with (address, TLS, CA, auth file), export defaults and the site policy. Never a password. */
import { useState, type SubmitEvent } from 'react';
import { ConnectionTestNotice } from '../components/ConnectionTestNotice.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { FieldHelp } from '../components/FieldHelp.tsx';
import { PathField } from '../components/PathField.tsx';
import { PolicyEditor } from '../components/PolicyEditor.tsx';
import { ACCESS_LABELS, RATE_LIMIT_LABEL } from '../field-labels.ts';
import { useServe } from '../stores/serve-store.ts';
import { savedLoginFor, useSettings, type RegistryDraft } from '../stores/settings-store.ts';

/** Where credentials live when the keychain can keep them (DESIGN.md decision 2; issue 7 "Settings"). */
const KEYCHAIN_NOTE = 'Passwords you save are sealed by the system keychain and kept apart from settings and the catalog. An auth file (containers auth.json) works too.';

/** Whether the browser lets this page notify, in words, for the notifications setting. */
function notificationState(): 'unsupported' | NotificationPermission {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

/** "Tell me when a long job ends": asks the browser once (a click is required); the toast in the app shows either way. */
function NotificationSetting() {
  const [state, setState] = useState(notificationState);
  const words = {
    unsupported: 'This window cannot show system notifications; Ferry shows a message in the app when a job ends.',
    default: 'Ferry shows a message in the app when a job ends. It can also show a system notification when Ferry is in the background.',
    granted: 'System notifications are on: Ferry tells you when a job ends while you work in another window.',
    denied: 'System notifications are blocked for this page; allow them in the browser’s site settings. Ferry still shows a message in the app.',
  } as const;
  return (
    <>
      <h3>Notifications</h3>
      <p id="notify-hint" className="hint">
        {words[state]}
      </p>
      {state === 'default' && (
        <button type="button" aria-describedby="notify-hint" onClick={() => void Notification.requestPermission().then(setState, () => setState(notificationState()))}>
          Notify me when a job ends
        </button>
      )}
    </>
  );
}

function RegistryFields({ index, entry }: { index: number; entry: RegistryDraft }) {
  const { updateRegistry, removeRegistry, testRegistry, saveLogin, forgetLogin, busy, logins } = useSettings();
  const test = useSettings((s) => s.tests[index]);
  const savedLogin = savedLoginFor(logins, entry.address);
  const canSeal = logins?.available === true;
  const id = `reg-${index}`;
  const change = (patch: Partial<RegistryDraft>) => updateRegistry(index, patch);
  return (
    <fieldset>
      <legend>Registry {index + 1}</legend>
      <div className="field">
        <label htmlFor={`${id}-address`}>Address</label>
        <input
          id={`${id}-address`}
          type="text"
          spellCheck={false}
          placeholder="registry.local:5000"
          aria-describedby={`${id}-address-hint`}
          value={entry.address}
          onChange={(e) => change({ address: e.target.value })}
        />
        <p id={`${id}-address-hint`} className="hint">
          Host and port, optionally with a path prefix. Wizards fill in these options when a reference or target starts with it.
        </p>
      </div>
      <div className="check">
        <input id={`${id}-plain`} type="checkbox" checked={entry.plainHttp} onChange={(e) => change({ plainHttp: e.target.checked })} />
        <label htmlFor={`${id}-plain`}>{ACCESS_LABELS.plainHttp}</label>
      </div>
      <div className="check">
        <input id={`${id}-tls`} type="checkbox" checked={entry.tlsVerify} onChange={(e) => change({ tlsVerify: e.target.checked })} />
        <label htmlFor={`${id}-tls`}>{ACCESS_LABELS.tlsVerify}</label>
      </div>
      <div className="row">
        <PathField id={`${id}-ca`} label={ACCESS_LABELS.caCertFile} kind="file" placeholder="/etc/pki/registry-ca.pem" value={entry.caCertFile} onChange={(caCertFile) => change({ caCertFile })} />
        <PathField id={`${id}-auth`} label={ACCESS_LABELS.authFile} kind="file" placeholder="~/.config/containers/auth.json" value={entry.authFile} onChange={(authFile) => change({ authFile })} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-rate`}>{RATE_LIMIT_LABEL}</label>
        <input
          id={`${id}-rate`}
          type="text"
          inputMode="decimal"
          placeholder="no limit"
          aria-describedby={`${id}-rate-hint`}
          value={entry.rateLimit}
          onChange={(e) => change({ rateLimit: e.target.value })}
        />
        <p id={`${id}-rate-hint`} className="hint">
          For registries that refuse requests that come too fast (Docker Hub, Harbor, Quay): every job that talks to this registry sends at most this many a second. 0.5 is one every two seconds.
        </p>
      </div>
      <div className="row">
        <div className="field">
          <label htmlFor={`${id}-user`}>{canSeal ? ACCESS_LABELS.username : `${ACCESS_LABELS.username} (for the test only, not saved)`}</label>
          <input id={`${id}-user`} type="text" autoComplete="username" value={entry.username} onChange={(e) => change({ username: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-password`}>{canSeal ? ACCESS_LABELS.password : `${ACCESS_LABELS.password} (for the test only, not saved)`}</label>
          <input id={`${id}-password`} type="password" autoComplete="current-password" value={entry.password} onChange={(e) => change({ password: e.target.value })} />
        </div>
      </div>
      <div className="actions">
        <button type="button" disabled={busy || !entry.address.trim()} onClick={() => void testRegistry(index)}>
          Test connection to registry {index + 1}
        </button>
        {canSeal && (
          <button type="button" disabled={busy || !entry.address.trim() || !entry.username || !entry.password} onClick={() => void saveLogin(index)}>
            Save login for registry {index + 1} in the keychain
          </button>
        )}
        {savedLogin && (
          <button type="button" disabled={busy} onClick={() => void forgetLogin(index)}>
            Forget saved login for registry {index + 1}
          </button>
        )}
        <button type="button" onClick={() => removeRegistry(index)}>
          Remove registry {index + 1}
        </button>
      </div>
      {savedLogin && (
        <p className="hint">
          Login saved in the keychain for {savedLogin.registry} as user {savedLogin.username}.
        </p>
      )}
      <ConnectionTestNotice test={test} />
    </fieldset>
  );
}

/** The Settings screen; the engine's `credentials:status` says where passwords can live. */
export function SettingsScreen() {
  const { draft, busy, error, savedNote, addRegistry, setDefaults, save, logins, saved } = useSettings();
  // Ferry's registry can start with the app once it was started here (its folder, port and user are what each start saves).
  const registryRuns = useServe((s) => s.status?.registry !== undefined);
  const registryKnown = saved?.serve !== undefined || registryRuns;
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    void save();
  };
  return (
    <section aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      {logins && <p className="notice">{logins.available ? KEYCHAIN_NOTE : logins.reason}</p>}
      <form onSubmit={submit} aria-label="Settings">
        <h3>Registries</h3>
        <FieldHelp term="mirror" />
        {draft.registries.length === 0 && <p>No registry saved yet.</p>}
        {draft.registries.map((entry, index) => (
          <RegistryFields key={index} index={index} entry={entry} />
        ))}
        <div className="actions">
          <button type="button" onClick={addRegistry}>
            Add registry
          </button>
        </div>
        <h3>Export defaults</h3>
        <fieldset>
          <legend>Defaults for new exports</legend>
          <FieldHelp term="form" />
          <div className="check">
            <input id="default-archive" type="checkbox" checked={draft.archive} onChange={(e) => setDefaults({ archive: e.target.checked })} />
            <label htmlFor="default-archive">Archive form (tar parts) by default</label>
          </div>
          <div className="field">
            <label htmlFor="default-part-size">Default part size (for example 4GiB; empty for Ferry's default)</label>
            <input id="default-part-size" type="text" value={draft.partSize} onChange={(e) => setDefaults({ partSize: e.target.value })} />
          </div>
        </fieldset>
        <h3>Ferry&apos;s registry</h3>
        <fieldset>
          <legend>Ferry&apos;s registry</legend>
          <div className="check">
            <input
              id="registry-with-app"
              type="checkbox"
              aria-describedby="registry-with-app-hint"
              disabled={!registryKnown}
              checked={draft.startRegistryWithApp}
              onChange={(e) => setDefaults({ startRegistryWithApp: e.target.checked })}
            />
            <label htmlFor="registry-with-app">Start Ferry&apos;s registry with the app</label>
          </div>
          <p id="registry-with-app-hint" className="hint">
            {registryKnown
              ? 'It starts with the storage folder, port, TLS and user it was last started with; its password is kept only as a hash.'
              : 'Start the registry once (on the start screen, or in the import wizard: "I have no registry — run one here"); then it can start with the app.'}
          </p>
        </fieldset>
        <ErrorNotice error={error} />
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            Save settings
          </button>
          <span role="status">{savedNote ? 'Settings saved.' : ''}</span>
        </div>
      </form>
      <NotificationSetting />
      <PolicyEditor />
    </section>
  );
}
