/**
 * The registry and bundle browser: choose a registry (a saved one or any
 * address) or a bundle folder, then walk repositories → tags → platforms →
 * files, and preview a small text file. Every name and every file's text is
 * untrusted: shown as text with its control and bidi characters made visible
 * (VisibleText), never as markup.
 */
import { AccessFields } from '../components/AccessFields.tsx';
import { BrowseImage } from '../components/BrowseImage.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { PathField } from '../components/PathField.tsx';
import { VirtualTable, type VirtualColumn } from '../components/VirtualTable.tsx';
import { VisibleText } from '../components/VisibleText.tsx';
import { shortDigest } from '../format.ts';
import { useBrowse, type TagRow } from '../stores/browse-store.ts';
import { useSettings } from '../stores/settings-store.ts';

const LOADING_WORDS = { repositories: 'Loading repositories…', tags: 'Loading tags…', platforms: 'Reading the manifest…', files: 'Listing files…', preview: 'Reading the file…' } as const;

function SourceForm() {
  const s = useBrowse();
  const saved = useSettings((settings) => settings.saved?.registries ?? []);
  return (
    <form
      aria-label="What to browse"
      onSubmit={(e) => {
        e.preventDefault();
        void s.openSource();
      }}
    >
      <fieldset>
        <legend>Browse</legend>
        <div className="check">
          <input id="browse-kind-registry" type="radio" name="browse-kind" checked={s.kind === 'registry'} onChange={() => s.setForm({ kind: 'registry' })} />
          <label htmlFor="browse-kind-registry">A registry</label>
        </div>
        <div className="check">
          <input id="browse-kind-bundle" type="radio" name="browse-kind" checked={s.kind === 'bundle'} onChange={() => s.setForm({ kind: 'bundle' })} />
          <label htmlFor="browse-kind-bundle">A bundle folder</label>
        </div>
      </fieldset>
      {s.kind === 'registry' ? (
        <>
          {saved.length > 0 && (
            <ul className="browse-saved" aria-label="Saved registries">
              {saved.map((entry) => (
                <li key={entry.address}>
                  <button type="button" aria-pressed={s.registryText === entry.address} onClick={() => s.setForm({ registryText: entry.address })}>
                    Use {entry.address}
                  </button>
                </li>
              ))}
            </ul>
          )}
          <div className="field">
            <label htmlFor="browse-registry">Registry address (host or host:port)</label>
            <input id="browse-registry" type="text" spellCheck={false} value={s.registryText} placeholder="registry.example.com:5000" onChange={(e) => s.setForm({ registryText: e.target.value })} />
          </div>
          <details className="browse-access">
            <summary>Registry access options</summary>
            <AccessFields legend="Registry access" idPrefix="browse" access={s.access} onChange={s.setAccess} prefilledFrom={s.prefilledFrom} />
          </details>
        </>
      ) : (
        <PathField id="browse-bundle" label="Bundle folder (the folder holding ferry.json)" kind="folder" value={s.bundleText} onChange={(bundleText) => s.setForm({ bundleText })} />
      )}
      <div className="actions">
        {s.returnTo && (
          <button type="button" onClick={s.goBack}>
            {s.returnTo === 'export' ? 'Back to the export wizard' : 'Back to the inspector'}
          </button>
        )}
        <button type="submit" className="primary" disabled={s.loading === 'repositories'}>
          Open
        </button>
      </div>
    </form>
  );
}

/** Where the walk stands: source › repository › tag › platform. */
function Trail() {
  const s = useBrowse();
  if (!s.source) return null;
  const sourceName = s.source.kind === 'registry' ? s.source.registry : s.source.path;
  return (
    <nav aria-label="Browser path" className="browse-trail">
      <ol>
        <li className="mono">
          <VisibleText text={sourceName} />
        </li>
        {s.repository && (
          <li className="mono">
            <VisibleText text={s.repository} />
          </li>
        )}
        {s.tag && (
          <li className="mono">
            :<VisibleText text={s.tag} />
          </li>
        )}
        {s.platform && (
          <li className="mono">
            <VisibleText text={s.platform.platform ?? s.platform.digest} />
          </li>
        )}
      </ol>
    </nav>
  );
}

const REPOSITORY_COLUMNS: VirtualColumn<string>[] = [
  {
    key: 'repository',
    header: 'Repository',
    className: 'mono',
    cell: (repository) => <RepositoryButton repository={repository} />,
  },
];

function RepositoryButton({ repository }: { repository: string }) {
  const chosen = useBrowse((s) => s.repository === repository);
  const choose = useBrowse((s) => s.chooseRepository);
  return (
    <button type="button" className="link" aria-pressed={chosen} onClick={() => void choose(repository)}>
      <VisibleText text={repository} />
    </button>
  );
}

function Repositories() {
  const s = useBrowse();
  if (!s.source) return null;
  return (
    <section aria-labelledby="browse-repositories">
      <h3 id="browse-repositories">Repositories</h3>
      {s.repositories.length === 0 && s.loading !== 'repositories' && <p>No repositories.</p>}
      {s.repositories.length > 0 && (
        <VirtualTable
          caption={`${s.repositories.length} repositories${s.repositoriesNext ? ' (more to load)' : ''}`}
          label="Repositories, scrollable"
          columns={REPOSITORY_COLUMNS}
          rows={s.repositories}
          rowKey={(r) => r}
          height={320}
        />
      )}
      {s.repositoriesNext && (
        <div className="actions">
          <button type="button" disabled={s.loading !== null} onClick={() => void s.loadMoreRepositories()}>
            Load more repositories
          </button>
        </div>
      )}
    </section>
  );
}

function TagButton({ tag }: { tag: string }) {
  const chosen = useBrowse((s) => s.tag === tag);
  const choose = useBrowse((s) => s.chooseTag);
  return (
    <button type="button" className="link" aria-pressed={chosen} onClick={() => void choose(tag)}>
      <VisibleText text={tag} />
    </button>
  );
}

function PickButton({ tag }: { tag: string }) {
  const picked = useBrowse((s) => s.source?.kind === 'registry' && s.repository !== null && s.picked.includes(`${s.source.registry}/${s.repository}:${tag}`));
  const pick = useBrowse((s) => s.pick);
  return (
    <button type="button" disabled={picked} onClick={() => pick(tag)}>
      {picked ? 'Added' : 'Add to export'}
      <span className="visually-hidden"> {tag}</span>
    </button>
  );
}

function Tags() {
  const s = useBrowse();
  if (!s.repository) return null;
  const columns: VirtualColumn<TagRow>[] = [
    { key: 'tag', header: 'Tag', className: 'mono', cell: (row) => <TagButton tag={row.tag} />, width: '35%' },
    { key: 'digest', header: 'Digest', className: 'mono', cell: (row) => (row.digest ? shortDigest(row.digest) : '—'), title: (row) => row.digest },
  ];
  if (s.source?.kind === 'registry') columns.push({ key: 'pick', header: 'Export', cell: (row) => <PickButton tag={row.tag} />, width: '11rem' });
  return (
    <section aria-labelledby="browse-tags">
      <h3 id="browse-tags">
        Tags of <VisibleText text={s.repository} />
      </h3>
      {s.tags.length === 0 && s.loading !== 'tags' && <p>No tags.</p>}
      {s.tags.length > 0 && (
        <VirtualTable caption={`${s.tags.length} tags${s.tagsNext ? ' (more to load)' : ''}`} label="Tags, scrollable" columns={columns} rows={s.tags} rowKey={(row) => row.tag} height={360} />
      )}
      <div className="actions">
        {!s.digests && s.tags.length > 0 && (
          <button type="button" disabled={s.loading !== null} onClick={() => void s.showDigests()}>
            Show digests
          </button>
        )}
        {s.tagsNext && (
          <button type="button" disabled={s.loading !== null} onClick={() => void s.loadMoreTags()}>
            Load more tags
          </button>
        )}
      </div>
      {s.picked.length > 0 && (
        <p role="status" className="hint">
          {s.picked.length} reference{s.picked.length === 1 ? '' : 's'} added to the export wizard.
        </p>
      )}
    </section>
  );
}

/** The registry and bundle browser screen. */
export function BrowserScreen() {
  const loading = useBrowse((s) => s.loading);
  const error = useBrowse((s) => s.error);
  return (
    <section aria-labelledby="browse-title" className="browser">
      <h2 id="browse-title">Browse a registry or a bundle</h2>
      <SourceForm />
      <Trail />
      <p role="status" aria-live="polite" className="hint">
        {loading ? LOADING_WORDS[loading] : ''}
      </p>
      <ErrorNotice error={error} />
      <div className="browse-columns">
        <div>
          <Repositories />
          <Tags />
        </div>
        <div>
          <BrowseImage />
        </div>
      </div>
    </section>
  );
}
