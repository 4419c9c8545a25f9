/** The app shell: header, navigation between the six screens, and the engine connection state. */
import { useEffect, useState } from 'react';
import type { ApiClient, ApiMethods } from '../src-shared/api/contract.ts';
import type { ErrorEnvelope } from '../src-shared/errors.ts';
import { envelopeOf } from './api/explain.ts';
import { ErrorNotice } from './components/ErrorNotice.tsx';
import { DemoBanner } from './components/DemoFlow.tsx';
import { CatalogScreen } from './screens/CatalogScreen.tsx';
import { ExportWizard } from './screens/ExportWizard.tsx';
import { ImportWizard } from './screens/ImportWizard.tsx';
import { SettingsScreen } from './screens/SettingsScreen.tsx';
import { PathPicker } from './components/PathPicker.tsx';
import { JobToasts } from './components/JobToasts.tsx';
import { BrowserScreen } from './screens/BrowserScreen.tsx';
import { StartScreen } from './screens/StartScreen.tsx';
import { useImport } from './stores/import-store.ts';
import { useNav, type Screen } from './stores/nav-store.ts';

const SCREENS: Array<{ id: Screen; label: string }> = [
  { id: 'start', label: 'Start' },
  { id: 'export', label: 'Export' },
  { id: 'import', label: 'Import' },
  { id: 'browse', label: 'Browse' },
  { id: 'catalog', label: 'Catalog' },
  { id: 'settings', label: 'Settings' },
];

/** The whole UI; stores were initialised with the same client before the first render. */
export function App({ client }: { client: ApiClient }) {
  const screen = useNav((s) => s.screen);
  const setScreen = useNav((s) => s.go);
  const [info, setInfo] = useState<ApiMethods['app:info']['result'] | null>(null);
  const [error, setError] = useState<ErrorEnvelope | null>(null);
  useEffect(() => {
    client['app:info']({}).then(setInfo, (e: unknown) => setError(envelopeOf(e)));
  }, [client]);
  return (
    <>
      <a href="#main" className="skip">
        Skip to content
      </a>
      <header className="top">
        <h1>Ferry</h1>
        <nav aria-label="Main">
          <ul>
            {SCREENS.map((s) => (
              <li key={s.id}>
                <button type="button" aria-current={screen === s.id ? 'page' : undefined} onClick={() => setScreen(s.id)}>
                  {s.label}
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <p className="meta">{info ? `Ferry ${info.version} · ${info.mode} mode` : 'Connecting…'}</p>
      </header>
      <main id="main">
        <ErrorNotice error={error} />
        <DemoBanner />
        {screen === 'start' && (
          <StartScreen
            onExport={() => setScreen('export')}
            onImport={() => setScreen('import')}
            onReview={() => {
              useImport.getState().startReview();
              setScreen('import');
            }}
          />
        )}
        {screen === 'export' && <ExportWizard />}
        {screen === 'import' && <ImportWizard />}
        {screen === 'browse' && <BrowserScreen />}
        {screen === 'catalog' && <CatalogScreen />}
        {screen === 'settings' && <SettingsScreen />}
      </main>
      <PathPicker />
      <JobToasts />
    </>
  );
}
