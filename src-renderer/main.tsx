/** The renderer's entry: one client, every store initialised once with it, then the first render. */
import { createRoot } from 'react-dom/client';
import { createApiClient } from './api/client.ts';
import { App } from './App.tsx';
import { useBrowse } from './stores/browse-store.ts';
import { useCatalog } from './stores/catalog-store.ts';
import { useDemo } from './stores/demo-store.ts';
import { useDrives } from './stores/drives-store.ts';
import { useExport } from './stores/export-store.ts';
import { useImport } from './stores/import-store.ts';
import { useInspector } from './stores/inspector-store.ts';
import { useJobs } from './stores/jobs-store.ts';
import { usePicker } from './stores/picker-store.ts';
import { useSavedSets } from './stores/saved-sets-store.ts';
import { usePolicy } from './stores/policy-store.ts';
import { useReview } from './stores/review-store.ts';
import { useServe } from './stores/serve-store.ts';
import { useSettings } from './stores/settings-store.ts';
import './styles.css';
import './screens.css';
import './browser.css';
import './inspector.css';

const client = createApiClient();
// The one place stores subscribe to engine events (STYLE.md: one explicit init, never at import time).
useJobs.getState().init(client);
useDrives.getState().init(client);
useCatalog.getState().init(client);
useSettings.getState().init(client);
useExport.getState().init(client);
useImport.getState().init(client);
usePolicy.getState().init(client);
useReview.getState().init(client);
useInspector.getState().init(client);
usePicker.getState().init(client);
useSavedSets.getState().init(client);
useBrowse.getState().init(client);
useServe.getState().init(client);
useDemo.getState().init(client);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(<App client={client} />);
