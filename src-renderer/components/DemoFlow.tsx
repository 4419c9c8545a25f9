/**
 * The sample flow's two pieces of UI (issue 17): the start screen's "Try
 * Ferry with sample images" choice, and the banner every screen shows while
 * the sample registries run — where things are, how to go on to the
 * disconnected side once the bundle is written, and how to stop them.
 */
import { useDemo } from '../stores/demo-store.ts';
import { useExport } from '../stores/export-store.ts';
import { useNav } from '../stores/nav-store.ts';
import { ErrorNotice } from './ErrorNotice.tsx';

/** The start screen's choice: starts two local registries with sample images and opens the export wizard, filled in. */
export function TryDemo() {
  const busy = useDemo((s) => s.busy);
  const error = useDemo((s) => s.error);
  const start = useDemo((s) => s.start);
  return (
    <section aria-labelledby="try-demo-title">
      <h2 id="try-demo-title">New to Ferry?</h2>
      <button type="button" className="choice" disabled={busy} onClick={() => void start()}>
        <span className="choice-title">Try Ferry with sample images</span>
        <span>
          Ferry makes a few small sample images and runs two registries on this computer, one for each side of the gap. You then carry the images from one to the other through every step, with a
          folder standing in for the USB drive. Nothing is downloaded.
        </span>
      </button>
      {busy && <p role="status">Starting the sample registries…</p>}
      <ErrorNotice error={error} />
    </section>
  );
}

/** While the sample flow runs: what it is, where everything is, the next side of the gap, and stop. */
export function DemoBanner() {
  const demo = useDemo((s) => s.demo);
  const busy = useDemo((s) => s.busy);
  const continueToImport = useDemo((s) => s.continueToImport);
  const stop = useDemo((s) => s.stop);
  // The bundle is ready for the disconnected side once the export wrote it to the stand-in drive and it passed verification.
  const bundleReady = useExport((s) => demo !== null && s.target.trim() === demo.drive && s.verify !== null);
  const screen = useNav((s) => s.screen);
  if (!demo) return null;
  const offerImport = bundleReady && screen !== 'import';
  return (
    <aside className="notice notice-ok" aria-label="Sample flow">
      <p className="notice-title">You are in the sample flow: both registries run on this computer, and the folder below stands in for the USB drive.</p>
      <dl className="facts">
        <div>
          <dt>Source registry (connected side)</dt>
          <dd>{demo.source.address}</dd>
        </div>
        <div>
          <dt>Target registry (disconnected side)</dt>
          <dd>{demo.target.address}</dd>
        </div>
        <div>
          <dt>Folder standing in for the USB drive</dt>
          <dd>{demo.drive}</dd>
        </div>
      </dl>
      {offerImport && <p>The bundle is written and verified. Carry it to the disconnected side: the import wizard opens with it and the target registry filled in.</p>}
      {!bundleReady && screen === 'export' && <p>The connected side: the sample images, their registry and the folder are filled in. Go through each step to write the bundle.</p>}
      {screen === 'import' && <p>The disconnected side: the bundle and the target registry are filled in. Go through each step to the mirror configuration.</p>}
      <div className="actions">
        {offerImport && (
          <button type="button" onClick={continueToImport}>
            Continue on the disconnected side
          </button>
        )}
        <button type="button" disabled={busy} onClick={() => void stop()}>
          Stop the sample registries
        </button>
      </div>
    </aside>
  );
}
