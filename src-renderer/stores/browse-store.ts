/**
 * The registry and bundle browser: which source is open, and the path the
 * user walked down it — repositories (paged) → tags (paged, digests on
 * demand) → platforms of an index → the file tree → a small file's preview.
 * Choosing a level clears everything below it; an answer that arrives after
 * the user moved on is dropped. A tag of a registry can be added to the
 * export wizard's list ("Pick from the registry").
 */
import { create } from 'zustand';
import type { ApiClient, BrowseFilePreview, BrowseImageInput, BrowseManifest, BrowsePlatform, BrowseSourceInput } from '../../src-shared/api/contract.ts';
import type { ErrorEnvelope } from '../../src-shared/errors.ts';
import { envelopeOf } from '../api/explain.ts';
import { EMPTY_TREE, mergeEntries, listsDeeper, type FileTree } from '../file-tree.ts';
import { parseReferences } from '../format.ts';
import { accessInput, DEFAULT_ACCESS, prefillFromSettings, useExport, type AccessForm } from './export-store.ts';
import { useNav, type Screen } from './nav-store.ts';

/** Repositories and tags asked for per "load more". */
export const BROWSE_PAGE = 100;

/** A level of the walk, for the busy indicator and for going back up. */
export type BrowseLevel = 'repositories' | 'tags' | 'platforms' | 'files' | 'preview';

/** One tag row; `digest` once digests were asked for. */
export interface TagRow {
  tag: string;
  digest?: string;
}

/** Everything below the source, cleared when another source is opened. */
interface Walk {
  repositories: string[];
  repositoriesNext: string | null;
  repository: string | null;
  tags: TagRow[];
  tagsNext: string | null;
  digests: boolean;
  tag: string | null;
  manifest: BrowseManifest | null;
  /** The image manifest of an index the user chose (its files are listed by this digest); null for a single image. */
  platform: BrowsePlatform | null;
  tree: FileTree | null;
  /** Folders already listed (lazy listings), by path; the root is ''. Sets, not objects: the paths come from the image. */
  listed: ReadonlySet<string>;
  /** True once a listing held the whole tree: folders then expand without asking again. */
  wholeTree: boolean;
  expanded: ReadonlySet<string>;
  preview: BrowseFilePreview | null;
  previewPath: string | null;
}

/** The browser's store. */
export interface BrowseStore extends Walk {
  kind: 'registry' | 'bundle';
  /** The registry's `host[:port]` as typed (a saved address with a path is cut to its host). */
  registryText: string;
  access: AccessForm;
  prefilledFrom: string | null;
  bundleText: string;
  /** The source being walked; null until "Open". */
  source: BrowseSourceInput | null;
  /** Where "Back" leads: the wizard that opened the browser. */
  returnTo: Screen | null;
  /** References added to the export wizard from here. */
  picked: string[];
  loading: BrowseLevel | null;
  error: ErrorEnvelope | null;
  init: (client: ApiClient) => void;
  setForm: (patch: Partial<Pick<BrowseStore, 'kind' | 'registryText' | 'bundleText'>>) => void;
  setAccess: (patch: Partial<AccessForm>) => void;
  /** From the export wizard: browse a registry and add tags to its list. */
  startPick: () => void;
  /** From the inspector: browse the bundle at `path`. */
  startBundle: (path: string) => void;
  openSource: () => Promise<void>;
  loadMoreRepositories: () => Promise<void>;
  chooseRepository: (repository: string) => Promise<void>;
  loadMoreTags: () => Promise<void>;
  showDigests: () => Promise<void>;
  chooseTag: (tag: string) => Promise<void>;
  choosePlatform: (platform: BrowsePlatform) => Promise<void>;
  toggleFolder: (path: string) => Promise<void>;
  previewFile: (path: string) => Promise<void>;
  /** Adds `registry/repository:tag` to the export wizard's references (once). */
  pick: (tag: string) => void;
  /** Back to the wizard that opened the browser. */
  goBack: () => void;
}

const EMPTY_WALK: Walk = {
  repositories: [],
  repositoriesNext: null,
  repository: null,
  tags: [],
  tagsNext: null,
  digests: false,
  tag: null,
  manifest: null,
  platform: null,
  tree: null,
  listed: new Set(),
  wholeTree: false,
  expanded: new Set(),
  preview: null,
  previewPath: null,
};

/** What a level's choice clears: the levels below it. */
const BELOW: Record<'source' | 'repository' | 'tag' | 'platform', Partial<Walk>> = {
  source: EMPTY_WALK,
  repository: { tag: null, manifest: null, platform: null, tree: null, listed: new Set(), wholeTree: false, expanded: new Set(), preview: null, previewPath: null },
  tag: { manifest: null, platform: null, tree: null, listed: new Set(), wholeTree: false, expanded: new Set(), preview: null, previewPath: null },
  platform: { tree: null, listed: new Set(), wholeTree: false, expanded: new Set(), preview: null, previewPath: null },
};

let client: ApiClient | null = null;
/** The levels from the top of the walk down. */
const LEVELS: readonly BrowseLevel[] = ['repositories', 'tags', 'platforms', 'files', 'preview'];
/** Per level: bumped when a call replaces the level's content or the walk moves above it, so a stale answer is dropped. */
const generations: Record<BrowseLevel, number> = { repositories: 0, tags: 0, platforms: 0, files: 0, preview: 0 };

/** The walk moved at `level`: answers still coming for it and every level below it no longer apply. */
function invalidateFrom(level: BrowseLevel): void {
  for (const below of LEVELS.slice(LEVELS.indexOf(level))) generations[below] += 1;
}

function requireClient(): ApiClient {
  if (!client) throw new Error('the browse store was used before init(client)');
  return client;
}

/** True when a manifest is one image rather than an index: it offers only itself. */
export function isSingleImage(manifest: BrowseManifest): boolean {
  return manifest.platforms.length === 1 && manifest.platforms[0]?.digest === manifest.digest;
}

/** The host part of what was typed as a registry (`https://host:5000/team` → `host:5000`). */
export function registryHost(typed: string): string {
  return (
    typed
      .trim()
      .replace(/^[a-z]+:\/\//i, '')
      .split('/')[0] ?? ''
  );
}

/** Hook and store of the browser. */
export const useBrowse = create<BrowseStore>()((set, get) => {
  /**
   * Runs one call for `level`; its answer applies only if the walk has not
   * moved at or above the level since. A call that replaces the level's
   * content drops an earlier one still running; one that adds to it (a
   * folder's listing) does not.
   */
  async function step<T>(level: BrowseLevel, call: (api: ApiClient) => Promise<T>, apply: (result: T) => Partial<BrowseStore>, replaces = true): Promise<void> {
    if (replaces) generations[level] += 1;
    const mine = generations[level];
    set({ loading: level, error: null });
    const done = (): Partial<BrowseStore> => (get().loading === level ? { loading: null } : {});
    try {
      const result = await call(requireClient());
      if (mine === generations[level]) set({ ...apply(result), ...done() });
    } catch (error) {
      if (mine === generations[level]) set({ ...done(), error: envelopeOf(error) });
    }
  }
  /** The image the walk stands on: the chosen platform's manifest by digest, else the tag. */
  function image(): BrowseImageInput | null {
    const { source, repository, tag, platform } = get();
    if (!source || !repository || !tag) return null;
    return platform ? { source, repository, digest: platform.digest } : { source, repository, tag };
  }
  async function listFolder(folder: string): Promise<void> {
    const at = image();
    if (!at) return;
    await step(
      'files',
      (api) => api['browse:files']({ ...at, ...(folder ? { path: folder } : {}) }),
      ({ entries }) => ({
        tree: mergeEntries(get().tree ?? EMPTY_TREE, entries),
        listed: new Set(get().listed).add(folder),
        wholeTree: get().wholeTree || listsDeeper(entries, folder),
      }),
      false,
    );
  }
  async function tagsPage(more: boolean): Promise<void> {
    const { source, repository, tagsNext, digests } = get();
    if (!source || !repository) return;
    await step(
      'tags',
      (api) => api['browse:tags']({ source, repository, n: BROWSE_PAGE, ...(digests ? { digests: true } : {}), ...(more && tagsNext ? { last: tagsNext } : {}) }),
      (page) => ({ tags: more ? [...get().tags, ...page.tags] : page.tags, tagsNext: page.next ?? null }),
    );
  }

  return {
    ...EMPTY_WALK,
    kind: 'registry',
    registryText: '',
    access: DEFAULT_ACCESS,
    prefilledFrom: null,
    bundleText: '',
    source: null,
    returnTo: null,
    picked: [],
    loading: null,
    error: null,
    init(api) {
      client = api;
    },
    setForm(patch) {
      const prefill = patch.registryText === undefined ? {} : prefillFromSettings(registryHost(patch.registryText), get().access, get().prefilledFrom);
      set({ ...patch, ...prefill });
    },
    setAccess(patch) {
      set((s) => ({ access: { ...s.access, ...patch } }));
    },
    startPick() {
      set({ kind: 'registry', returnTo: 'export', picked: [], error: null });
      useNav.getState().go('browse');
    },
    startBundle(path) {
      set({ kind: 'bundle', bundleText: path, returnTo: 'import', error: null });
      useNav.getState().go('browse');
      void get().openSource();
    },
    async openSource() {
      const s = get();
      let source: BrowseSourceInput;
      if (s.kind === 'bundle') {
        if (!s.bundleText.trim()) {
          set({ error: { code: 'INVALID_ARGUMENT', message: 'Type or choose the bundle folder to browse.' } });
          return;
        }
        source = { kind: 'bundle', path: s.bundleText.trim() };
      } else {
        const registry = registryHost(s.registryText);
        if (!registry) {
          set({ error: { code: 'INVALID_ARGUMENT', message: 'Type or choose the registry to browse (host or host:port).' } });
          return;
        }
        source = { kind: 'registry', registry, access: accessInput(s.access) };
      }
      invalidateFrom('repositories');
      set({ ...BELOW.source, source });
      await step(
        'repositories',
        (api) => api['browse:repositories']({ source, n: BROWSE_PAGE }),
        (page) => ({ repositories: page.repositories, repositoriesNext: page.next ?? null }),
      );
    },
    async loadMoreRepositories() {
      const { source, repositoriesNext } = get();
      if (!source || !repositoriesNext) return;
      await step(
        'repositories',
        (api) => api['browse:repositories']({ source, n: BROWSE_PAGE, last: repositoriesNext }),
        (page) => ({ repositories: [...get().repositories, ...page.repositories], repositoriesNext: page.next ?? null }),
      );
    },
    async chooseRepository(repository) {
      invalidateFrom('tags');
      set({ ...BELOW.repository, repository, tags: [], tagsNext: null, digests: false });
      await tagsPage(false);
    },
    loadMoreTags: () => tagsPage(true),
    async showDigests() {
      set({ digests: true });
      await tagsPage(false);
    },
    async chooseTag(tag) {
      invalidateFrom('platforms');
      set({ ...BELOW.tag, tag });
      const at = image();
      if (!at) return;
      await step(
        'platforms',
        (api) => api['browse:platforms'](at),
        (manifest) => ({ manifest }),
      );
      // A single image (it offers only itself) opens its files at once.
      const manifest = get().manifest;
      if (manifest && isSingleImage(manifest) && get().tag === tag) await listFolder('');
    },
    async choosePlatform(platform) {
      invalidateFrom('files');
      set({ ...BELOW.platform, platform });
      await listFolder('');
    },
    async toggleFolder(path) {
      const { expanded, wholeTree, listed } = get();
      if (expanded.has(path)) {
        const rest = new Set(expanded);
        rest.delete(path);
        set({ expanded: rest });
        return;
      }
      set({ expanded: new Set(expanded).add(path) });
      if (!wholeTree && !listed.has(path)) await listFolder(path);
    },
    async previewFile(path) {
      const at = image();
      if (!at) return;
      set({ previewPath: path, preview: null });
      await step(
        'preview',
        (api) => api['browse:read']({ ...at, path }),
        (preview) => ({ preview }),
      );
    },
    pick(tag) {
      const { source, repository, access, picked } = get();
      if (source?.kind !== 'registry' || !repository) return;
      const reference = `${source.registry}/${repository}:${tag}`;
      const exporter = useExport.getState();
      const existing = parseReferences(exporter.referencesText);
      if (!existing.includes(reference)) {
        const text = exporter.referencesText.trimEnd();
        exporter.set({ referencesText: text ? `${text}\n${reference}\n` : `${reference}\n` });
        // A first reference carries the access it was browsed with, unless Settings filled it in.
        if (existing.length === 0 && useExport.getState().prefilledFrom === null) exporter.setAccess(access);
      }
      if (!picked.includes(reference)) set({ picked: [...picked, reference] });
    },
    goBack() {
      const to = get().returnTo;
      set({ returnTo: null });
      useNav.getState().go(to ?? 'start');
    },
  };
});
