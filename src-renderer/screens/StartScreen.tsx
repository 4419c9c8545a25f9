/** The start screen: which side of the gap the user is on, the jobs of this session and the last bundles carried. */
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { BundlesTable } from '../components/BundlesTable.tsx';
import { JobsTable } from '../components/JobsTable.tsx';
import { RegistryPanel } from '../components/AppRegistry.tsx';
import { FieldHelp } from '../components/FieldHelp.tsx';
import { TryDemo } from '../components/DemoFlow.tsx';
import { useCatalog } from '../stores/catalog-store.ts';
import { useNav } from '../stores/nav-store.ts';

/** How many jobs the start screen lists; the catalog keeps the full history. */
const JOBS_SHOWN = 10;

/** Three big choices (export, import, an officer's review), Ferry's registry with start/stop, the session's jobs (live) and the catalog's last bundles. */
export function StartScreen({ onExport, onImport, onReview }: { onExport: () => void; onImport: () => void; onReview: () => void }) {
  const bundles = useCatalog((s) => s.recent);
  const error = useCatalog((s) => s.error);
  const openBundle = (id: string) => {
    // A row opens in the catalog, where the bundle's images, sites and events are.
    useCatalog.getState().setTab('bundles');
    void useCatalog.getState().openBundle(id);
    useNav.getState().go('catalog');
  };
  return (
    <section aria-labelledby="start-title">
      <h2 id="start-title">Where are you?</h2>
      <div className="choices">
        <button type="button" className="choice" onClick={onExport}>
          <span className="choice-title">I am on the connected side</span>
          <span>Pull images from registries and write a bundle to a drive.</span>
        </button>
        <button type="button" className="choice" onClick={onImport}>
          <span className="choice-title">I am on the disconnected side</span>
          <span>Verify a bundle, inspect it and push it into the local registry.</span>
        </button>
        <button type="button" className="choice" onClick={onReview}>
          <span className="choice-title">Review a bundle</span>
          <span>For officers: see who signed it and what it changes, check it against the site policy, approve or reject it.</span>
        </button>
      </div>
      <TryDemo />
      <RegistryPanel />
      <h2>Jobs</h2>
      <JobsTable caption={`Jobs of this session, newest first (up to ${JOBS_SHOWN})`} limit={JOBS_SHOWN} />
      <h2>Last bundles</h2>
      <ErrorNotice error={error} />
      <FieldHelp term="bundle" />
      <BundlesTable bundles={bundles.slice(0, 5)} caption="The five most recent bundles" onOpen={openBundle} />
    </section>
  );
}
