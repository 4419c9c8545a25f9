/**
 * Ferry's own registry in the app (issue 15): the form that starts it
 * (storage folder, port, TLS automatic, one user), the facts of a running one
 * (address, CA, what its store holds) and the start screen's panel with
 * start and stop. The import wizard's target step uses the form and facts.
 */
import { useEffect } from 'react';
import type { ServeStatus } from '../../src-shared/api/contract.ts';
import { formatBytes } from '../../src-shared/units.ts';
import { REGISTRY_PORT_LABEL } from '../field-labels.ts';
import { useServe } from '../stores/serve-store.ts';
import { ErrorNotice } from './ErrorNotice.tsx';
import { PathField } from './PathField.tsx';

/** The form's fields; `idPrefix` keeps ids unique where two forms could show. */
export function RegistryForm({ idPrefix }: { idPrefix: string }) {
  const form = useServe((s) => s.form);
  const setForm = useServe((s) => s.setForm);
  const id = (name: string) => `${idPrefix}-${name}`;
  return (
    <fieldset>
      <legend>Ferry&apos;s registry</legend>
      <PathField
        id={id('storage')}
        label="Storage folder (where the registry keeps its images)"
        kind="folder"
        value={form.storage}
        onChange={(storage) => setForm({ storage })}
        hint="A folder on a disk with room for every image you import; it is created when missing."
      />
      <div className="row">
        <div className="field">
          <label htmlFor={id('port')}>{REGISTRY_PORT_LABEL}</label>
          <input id={id('port')} type="text" inputMode="numeric" value={form.port} onChange={(e) => setForm({ port: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor={id('name')}>Host name clients use</label>
          <input id={id('name')} type="text" spellCheck={false} value={form.name} onChange={(e) => setForm({ name: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor={id('listen')}>Listen on (0.0.0.0: every network interface)</label>
          <input id={id('listen')} type="text" spellCheck={false} value={form.listen} onChange={(e) => setForm({ listen: e.target.value })} />
        </div>
      </div>
      <div className="check">
        <input id={id('tls')} type="checkbox" checked={form.tls} onChange={(e) => setForm({ tls: e.target.checked })} />
        <label htmlFor={id('tls')}>TLS automatic (Ferry creates a local CA and a certificate for the host name)</label>
      </div>
      <div className="row">
        <div className="field">
          <label htmlFor={id('user')}>User (empty: anyone on the network may push)</label>
          <input id={id('user')} type="text" autoComplete="username" value={form.user} onChange={(e) => setForm({ user: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor={id('password')}>Password</label>
          <input id={id('password')} type="password" autoComplete="new-password" value={form.password} onChange={(e) => setForm({ password: e.target.value })} />
        </div>
      </div>
    </fieldset>
  );
}

/** The store's numbers in words. */
function statsText(status: ServeStatus): string {
  if (!status.stats) return 'not counted yet';
  const { images, repositories, bytes } = status.stats;
  return `${images} image${images === 1 ? '' : 's'} in ${repositories} repositor${repositories === 1 ? 'y' : 'ies'} · ${formatBytes(bytes)}`;
}

/** Where the running registry is, what it holds, and its CA to copy. */
export function RegistryFacts({ status }: { status: ServeStatus }) {
  const running = status.registry;
  if (!running) return null;
  return (
    <>
      <dl className="facts" aria-label="Ferry's registry">
        <div>
          <dt>Address</dt>
          <dd className="mono">{running.address}</dd>
        </div>
        <div>
          <dt>Storage</dt>
          <dd className="mono">{running.storage}</dd>
        </div>
        <div>
          <dt>Holds</dt>
          <dd>{statsText(status)}</dd>
        </div>
        <div>
          <dt>Login</dt>
          <dd>{running.user ? `user ${running.user}` : 'anonymous'}</dd>
        </div>
        <div>
          <dt>CA</dt>
          <dd className="mono">{running.caFile ?? 'none (plain HTTP)'}</dd>
        </div>
      </dl>
      {running.caPem && (
        <details>
          <summary>CA certificate clients must trust</summary>
          <pre tabIndex={0} aria-label="CA certificate of Ferry's registry">
            {running.caPem}
          </pre>
        </details>
      )}
    </>
  );
}

/** One line: running where, or stopped (and why the last start failed). */
export function RegistryState({ status }: { status: ServeStatus | null }) {
  if (!status) return <p role="status">Asking the engine about Ferry&apos;s registry…</p>;
  return (
    <>
      <p role="status" className={status.running ? 'notice notice-ok' : 'notice'}>
        {status.registry ? `Ferry's registry is running at ${status.registry.address}.` : "Ferry's registry is stopped."}
      </p>
      {status.problem && <ErrorNotice error={{ code: 'IO_ERROR', message: status.problem }} />}
    </>
  );
}

/** The start screen's panel: state, facts, and start (with the form) or stop; what the store holds is read again each time it shows. */
export function RegistryPanel() {
  const { status, busy, error, start, stop, refresh } = useServe();
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return (
    <section aria-labelledby="registry-title">
      <h2 id="registry-title">Ferry&apos;s registry</h2>
      <p className="hint">For a site without a registry: Ferry serves the images you import to the cluster nodes.</p>
      <RegistryState status={status} />
      {status && <RegistryFacts status={status} />}
      {status && !status.running && <RegistryForm idPrefix="start-registry" />}
      <ErrorNotice error={error} />
      <div className="actions">
        {status?.running ? (
          <button type="button" disabled={busy} onClick={() => void stop()}>
            Stop the registry
          </button>
        ) : (
          <button type="button" className="primary" disabled={busy || !status} onClick={() => void start()}>
            Start the registry
          </button>
        )}
      </div>
    </section>
  );
}
