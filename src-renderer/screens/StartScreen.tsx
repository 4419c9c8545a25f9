/** The start screen: which side of the gap the user is on, and the last bundles carried. */
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { BundlesTable } from '../components/BundlesTable.tsx';
import { useCatalog } from '../stores/catalog-store.ts';

/** Two big choices and the catalog's last bundles. */
export function StartScreen({ onExport, onImport }: { onExport(): void; onImport(): void }) {
  const bundles = useCatalog((s) => s.bundles);
  const error = useCatalog((s) => s.error);
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
      </div>
      <h2>Last bundles</h2>
      <ErrorNotice error={error} />
      <BundlesTable bundles={bundles.slice(0, 5)} caption="The five most recent bundles" />
    </section>
  );
}
