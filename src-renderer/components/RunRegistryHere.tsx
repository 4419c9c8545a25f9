/**
 * The import wizard's "I have no registry — run one here" (issue 15): starts
 * Ferry's registry from a small form, shows its address and CA, and makes it
 * the import's target — its CA trusted for the push and passed on as the
 * mirror configuration's CA, its user as the login.
 */
import { useState } from 'react';
import { useImport } from '../stores/import-store.ts';
import { useServe } from '../stores/serve-store.ts';
import { RegistryFacts, RegistryForm, RegistryState } from './AppRegistry.tsx';
import { ErrorNotice } from './ErrorNotice.tsx';

/** The disclosure on the target step; open from the start when Ferry's registry already runs. */
export function RunRegistryHere() {
  const { status, form, busy, error, start } = useServe();
  const target = useImport((s) => s.target);
  const targetAppRegistry = useImport((s) => s.targetAppRegistry);
  const [open, setOpen] = useState(false);
  const running = status?.registry;
  const useIt = () => {
    if (running) targetAppRegistry(running, { username: running.user ?? '', password: running.user === form.user.trim() ? form.password : '' });
  };
  const startAndUse = async () => {
    const started = await start();
    if (started) targetAppRegistry(started, { username: started.user ?? '', password: started.user ? form.password : '' });
  };
  const shown = open || running !== undefined;
  return (
    <section aria-labelledby="run-here-title" className="run-here">
      <h3 id="run-here-title">No registry at this site?</h3>
      {!shown && (
        <div className="actions">
          <button type="button" onClick={() => setOpen(true)}>
            I have no registry — run one here
          </button>
        </div>
      )}
      {shown && (
        <>
          <RegistryState status={status} />
          {running && <RegistryFacts status={status} />}
          {!running && <RegistryForm idPrefix="import-registry" />}
          <ErrorNotice error={error} />
          <div className="actions">
            {running ? (
              <button type="button" disabled={target === running.address} onClick={useIt}>
                Import into Ferry&apos;s registry
              </button>
            ) : (
              <button type="button" className="primary" disabled={busy} onClick={() => void startAndUse()}>
                Start Ferry&apos;s registry and import into it
              </button>
            )}
          </div>
          {running && target === running.address && (
            <p role="status" className="hint">
              The import goes to Ferry&apos;s registry at {running.address}
              {running.caFile ? `, trusting its CA ${running.caFile}` : ''}.
            </p>
          )}
        </>
      )}
    </section>
  );
}
