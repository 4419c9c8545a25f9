/**
 * The one API contract between the engine and every front end (Electron IPC,
 * browser mode over HTTP + server-sent events, tests). Each method is declared
 * once here with its argument and result; the IPC adapter, the preload, the
 * HTTP server and the renderer client are generated from `API_METHODS` and
 * `API_EVENTS`, so no channel name is ever written twice (DESIGN.md decision 1).
 * Long jobs and their typed results are in jobs.ts, how the contract travels
 * (bridge, channels, routes, token header) in wire.ts.
 */
import type { ErrorEnvelope, ErrorHint } from '../errors.ts';
import type { BundleImage, BundleManifest } from '../model/bundle.ts';
import type { AuditCheck, AuditEntry, BundleDetail, BundleSummary, MonthTotals, ReceiptSummary, SiteHoldings } from '../model/catalog.ts';
import type { ContentKind, ListedContent } from '../model/content-kind.ts';
import type { ImageDetails } from '../model/image-detail.ts';
import type { BlobProgress } from '../model/oci.ts';
import type { JobProgress } from '../model/progress.ts';
import type { ReferrerPresence } from '../model/trust.ts';
import type { BrowseFilePreview, BrowseFiles, BrowseImageInput, BrowseManifest, BrowsePage, BrowseSourceInput, RepositoryPage, TagPage } from './browse.ts';
import type { JobState } from './jobs.ts';
import type { DecisionInput, PolicyDocument, ReviewInput, ReviewReport, SignatureFinding, SigningKeyInfo } from './trust.ts';
import type { MirrorConfigInput, MirrorFile, MirrorSaveResult, ServeStartInput, ServeRunning, ServeStatus } from './serve.ts';
import type { DemoStatus } from './demo.ts';
import type { ExportRunOptions, ExportTargetCheck, LastImportTarget, PullSecretMergeInput, ReceiptAddedResult, SiteOverview } from './wizards.ts';
import type { ImportFixes, RegistryCheckAnswer, RegistryCheckInput, RegistryTestResult } from './registries.ts';
import type { z } from 'zod';
import type { RegistrySettingSchema, SettingsSchema } from '../schemas/settings.ts';

export * from './jobs.ts';
export * from './browse.ts';
export * from './trust.ts';
export * from './serve.ts';
export * from './demo.ts';
export * from './wizards.ts';
export * from './registries.ts';
export type { AuditCheck, AuditEntry, BundleDetail, BundleEvent, BundleSummary, CatalogImage, MonthTotals, ReceiptSummary, SiteHoldings } from '../model/catalog.ts';
export type { ImageDetail, ImageDetails, LayerDetail, PlatformDetail } from '../model/image-detail.ts';

/** Registry access as the UI collects it; credentials never leave the engine side again. */
export interface RegistryAccessInput {
  plainHttp?: boolean;
  tlsVerify?: boolean;
  caCertFiles?: string[];
  authFile?: string;
  username?: string;
  password?: string;
}

/** A removable drive or mounted volume, for the "where" step of the export wizard. */
export interface DriveInfo {
  path: string;
  label: string;
  fsType: string;
  freeBytes: number | null;
  sizeBytes: number | null;
  removable: boolean;
  /** What the file system implies, in plain language (FAT32: archive form, 4 GiB parts). */
  advice: string | null;
}

/** One image of an export plan. */
export interface PlannedImage {
  reference: string;
  digest: string;
  mediaType: string;
  platforms: string[];
  size: number;
  /** Digests of the image's configs and layers (every platform) that this bundle carries, so `job:blobs` states map to images. */
  blobs: string[];
  /** Bytes of the image left out of an incremental bundle because the site has them; they never show up in `job:blobs`. */
  omittedBytes?: number;
  section?: string;
  targets?: Array<{ path: string; tag?: string }>;
  /** A local artifact (files, a package repository, a chart fetched over HTTP): its artifactType; `reference` is then its target name. */
  artifactType?: string;
}

/** What `planExport` answers: the images, sizes, savings, and the references that could not be resolved. */
export interface ExportPlanResult {
  images: PlannedImage[];
  blobs: number;
  bytes: number;
  savedByDedup: number;
  notes: string[];
  /**
   * Each unresolvable reference with why; the plan is unusable while this is not empty.
   * Failures with the same remedy (`hint`: a registry without TLS, an untrusted CA, missing
   * credentials) are one problem listing every reference in `references`, not one per reference.
   */
  problems: Array<{ reference: string; message: string; hint?: ErrorHint; references?: string[] }>;
  /** Incremental plans (`site`): the bundle this one builds on and the bytes left out because the site already has them. */
  parent?: string;
  savedByIncremental?: number;
}

/** Inputs of an export. */
export interface ExportInput {
  references: string[];
  imageListText?: string;
  /** An image list file (one reference per line, # comments), read on the engine side like `ferry export --images`. */
  imageListFile?: string;
  setFile?: string;
  /** A Deckhouse license key for the set's Deckhouse source, in place of the set's `license:` (never logged, never written into the bundle). */
  deckhouseLicense?: string;
  target: string;
  archive?: boolean;
  partSize?: string;
  platforms?: string[];
  /** Incremental for this site: leave out what its receipts in the catalog say it has, like `ferry export --site`. */
  site?: string;
  /** Incremental from a receipt file the site sent back (wins over `site`), like `ferry export --since-receipt`. */
  sinceReceipt?: string;
  /** The OpenShift update service's graph endpoint for a set's release channels, like `ferry export --update-service`; absent means OpenShift's public one. */
  updateService?: string;
  /** Where a set's release signatures are fetched from, like `ferry export --signature-store`; absent means OpenShift's public store. */
  signatureStore?: string;
  /** False leaves out the images' signatures, attestations and SBOMs, like `ferry export --no-referrers`. */
  referrers?: boolean;
  registry?: RegistryAccessInput;
}

/** Inputs of an import. */
export interface ImportInput extends ImportFixes {
  bundle: string;
  target: string;
  keepRegistryHost?: boolean;
  /** The site this registry belongs to: recorded in the receipt and the catalog, like `ferry import --site`. */
  site?: string;
  registry?: RegistryAccessInput;
}

/** What the import inspector shows: the bundle and where each image would land. */
export interface BundleInspection {
  manifest: BundleManifest | null;
  /** `blobs` and `omittedBytes`: as in PlannedImage (what this bundle carries, what an incremental one left out). */
  images: Array<
    BundleImage & {
      /** Image, files, Helm chart, package repository or other artifact (from the manifest's artifactType and config). */
      kind: ContentKind;
      /** For an artifact: its files (layer titles) and their sizes. */
      files?: ListedContent['files'];
      destination?: string;
      blobs: string[];
      omittedBytes?: number;
      /** The newest other bundle in this side's catalog that carried the same image (by digest); null when the image is new here. */
      carriedBefore: { bundleId: string; created: string } | null;
    }
  >;
  form: 'directory' | 'archive' | 'oci-layout';
  /** Per image: whether a signature, an attestation and an SBOM travel with it (issue 14). */
  referrers?: ReferrerPresence[];
}

/**
 * One registry the user works with, as Settings saves it. There is no
 * password field on purpose: secrets live in the auth file the user names
 * (containers-auth.json(5)), never in Ferry's own files.
 */
export type RegistrySetting = z.output<typeof RegistrySettingSchema>;

/** What `settings:get` answers and `settings:save` takes (inferred from the settings schema, src-shared/schemas/settings.ts). */
export type FerrySettings = z.output<typeof SettingsSchema>;

/**
 * Whether the app can keep registry passwords (the desktop app, in the system
 * keychain) and for which registries it keeps one. User names only: a
 * password never crosses back to a front end.
 */
export interface CredentialsStatus {
  available: boolean;
  /** Why passwords cannot be kept (browser mode, no keyring running), in words the Settings screen shows. */
  reason: string | null;
  registries: Array<{ registry: string; username: string }>;
}

/** One folder as the app's file picker shows it (`files:list`). */
export interface FolderListing {
  /** The folder listed, absolute. */
  path: string;
  /** Its parent, or null at the root. */
  parent: string | null;
  /** Folders first, then files; hidden names left out. */
  entries: Array<{ name: string; path: string; kind: 'folder' | 'file'; size: number | null }>;
  /** True when the folder had more entries than one listing carries. */
  truncated: boolean;
}

/** A bundle or OCI layout found on a drive (`bundles:find`), before any verification. */
export interface FoundBundle {
  path: string;
  /** The drive's label it was found on, or null for a folder the user named. */
  drive: string | null;
  kind: 'ferry' | 'oci-layout';
  bundleId?: string;
  created?: string;
  sequence?: number;
  form?: 'directory' | 'archive';
  images?: number;
  bytes?: number;
  /** Why its ferry.json could not be read, or null. */
  problem: string | null;
}

/** An image set saved by name for the export wizard (an ordinary image set file beside the catalog). */
export interface SavedSet {
  name: string;
  path: string;
  modified: string;
  /** The set's references, when it holds nothing but images (and platforms): the wizard fills its reference box with them. */
  references?: string[];
  platforms?: string[];
}

/** Every method: its argument and its result. */
export interface ApiMethods {
  'app:info': { args: Record<string, never>; result: { version: string; mode: 'electron' | 'browser'; catalog: string } };
  'drives:list': { args: Record<string, never>; result: DriveInfo[] };
  /** "Safely remove drive": flush, unmount and power off the drive mounted at `path` (a `drives:list` path). */
  'drives:eject': { args: { path: string }; result: { ejected: true } };
  'export:plan': { args: ExportInput; result: ExportPlanResult };
  'export:run': { args: ExportInput & ExportRunOptions; result: { jobId: string } };
  /** Whether the bundle can be written to `target`, and the free space of its drive, for the "where" step. */
  'export:target': { args: { target: string }; result: ExportTargetCheck };
  /** Records a receipt file carried back from a site, so the next export for it leaves out what it has. */
  'receipt:add': { args: { file: string; site?: string }; result: ReceiptAddedResult };
  /** What the catalog knows the site holds, from its receipts. */
  'site:summary': { args: { site: string }; result: SiteOverview };
  'import:inspect': { args: { bundle: string; target?: string; keepRegistryHost?: boolean } & ImportFixes; result: BundleInspection };
  'import:run': { args: ImportInput; result: { jobId: string } };
  'bundle:verify': { args: { bundle: string }; result: { jobId: string } };
  'job:cancel': { args: { jobId: string }; result: { cancelled: boolean } };
  'job:list': { args: Record<string, never>; result: JobState[] };
  /** Every mirror configuration file for the bundle and target, with where each goes and the command that applies it. */
  'mirror:config': { args: MirrorConfigInput; result: { files: MirrorFile[] } };
  /** Writes the same files into `folder`, each at its relative path (folders kept, so same-named files never collide). */
  'mirror:save': { args: MirrorConfigInput & { folder: string }; result: MirrorSaveResult };
  /** Adds the mirror's login to a copy of the cluster's pull secret; answers where it was saved and which registries it has logins for (never a password). */
  'pullsecret:merge': { args: PullSecretMergeInput; result: { saved: string; registry: string; registries: string[] } };
  /** The target, site and TLS choices of the last import started here; null before the first. */
  'import:last': { args: Record<string, never>; result: LastImportTarget | null };
  'registry:test': { args: { registry: string; access?: RegistryAccessInput }; result: RegistryTestResult };
  /** The registry's capabilities, and with a bundle which of its images the registry cannot take and the fixes that would help. */
  'registry:check': { args: RegistryCheckInput; result: RegistryCheckAnswer };
  /** Newest first; with `contains` (a reference, repository or digest), the bundles that carried it. */
  'catalog:bundles': { args: { contains?: string; limit?: number }; result: BundleSummary[] };
  /** Per calendar month, newest first. */
  'catalog:totals': { args: Record<string, never>; result: MonthTotals[] };
  /** One bundle opened from the catalog: its export and import events, images with digests, and the receipts (sites) naming it. */
  'catalog:bundle': { args: { id: string }; result: BundleDetail };
  /** Every site with what its receipts say it holds: receipts, images, bytes, last import. */
  'catalog:sites': { args: Record<string, never>; result: SiteHoldings[] };
  /** The receipts carried back from sites, newest import first. */
  'catalog:receipts': { args: { limit?: number }; result: ReceiptSummary[] };
  /** The audit log newest first, and whether its hash chain is intact. */
  'catalog:audit': { args: { limit?: number }; result: { entries: AuditEntry[]; check: AuditCheck } };
  'settings:get': { args: Record<string, never>; result: FerrySettings };
  'settings:save': { args: FerrySettings; result: { saved: true } };
  'credentials:status': { args: Record<string, never>; result: CredentialsStatus };
  /** Seals the login in the system keychain for one registry host; refused in browser mode. */
  'credentials:save': { args: { registry: string; username: string; password: string }; result: { saved: true } };
  'credentials:delete': { args: { registry: string }; result: { deleted: boolean } };
  /** The app's file picker: one folder's entries (default: the home folder). */
  'files:list': { args: { path?: string }; result: FolderListing };
  /** The file picker's "New folder": makes `name` (one folder name, no path) inside `parent`, which must exist. */
  'files:mkdir': { args: { parent: string; name: string }; result: { path: string } };
  /** Bundles on the removable drives (or below the given folders), for the import wizard's first step. */
  'bundles:find': { args: { roots?: string[] }; result: FoundBundle[] };
  'sets:list': { args: Record<string, never>; result: SavedSet[] };
  /** Saves references (and platforms) as a named image set, replacing one of the same name. */
  'sets:save': { args: { name: string; references: string[]; platforms?: string[] }; result: SavedSet };
  /** The browser: one page of the source's repositories. */
  'browse:repositories': { args: { source: BrowseSourceInput } & BrowsePage; result: RepositoryPage };
  /** One page of a repository's tags; with `digests`, each tag's manifest digest too (one request per tag). */
  'browse:tags': { args: { source: BrowseSourceInput; repository: string; digests?: boolean } & BrowsePage; result: TagPage };
  /** A tag's or digest's manifest, and the image manifests (platforms) it offers. */
  'browse:platforms': { args: BrowseImageInput; result: BrowseManifest };
  /** The file tree of an image (one platform of an index), below `path` when given. */
  'browse:files': { args: BrowseImageInput & { platform?: string; path?: string }; result: BrowseFiles };
  /** The start of one file of an image, for the preview (see BrowseFilePreview). */
  'browse:read': { args: BrowseImageInput & { platform?: string; path: string }; result: BrowseFilePreview };
  /** The officer's Review step: signers, approvals, the policy's verdict and what the bundle would change on the target (verifies the bundle first). */
  'bundle:review': { args: ReviewInput; result: ReviewReport };
  /** Approve or reject a bundle with a key: a signed statement beside ferry.json and an audit entry; answers the new statement as checked. */
  'bundle:decide': { args: DecisionInput; result: SignatureFinding };
  /** The inspector's per-image detail of a verified bundle: platforms, layers (sizes, media types) and config labels (all images up to a cap when none is named; `labels: false` reads no config). */
  'bundle:images': { args: { bundle: string; images?: string[]; labels?: boolean }; result: ImageDetails };
  /** Writes a report the app made (the officer's "Save report": self-contained HTML) into `folder` as `name`, never replacing a file; answers the path written. */
  'report:save': { args: { folder: string; name: string; text: string }; result: { path: string } };
  /** The site policy file (beside the catalog), as text. */
  'policy:get': { args: Record<string, never>; result: PolicyDocument };
  /** Checks the policy text and writes it durably; a change is recorded in the audit log. Invalid text is refused naming the line. */
  'policy:save': { args: { text: string }; result: PolicyDocument };
  /** The signing keys in the local keys folder (names and fingerprints). */
  'keys:list': { args: Record<string, never>; result: SigningKeyInfo[] };
  /** Starts the app's own registry (one at a time) and remembers its settings for "start with the app". */
  'serve:start': { args: ServeStartInput; result: ServeRunning };
  /** Stops the app's registry; its store stays on disk. */
  'serve:stop': { args: Record<string, never>; result: { stopped: boolean } };
  /** Whether the app's registry runs, where, and what its store holds. */
  'serve:status': { args: Record<string, never>; result: ServeStatus };
  /** "Try Ferry with sample images": starts two local registries (source with the samples, empty target) and names a folder standing in for the USB drive. */
  'demo:start': { args: Record<string, never>; result: DemoStatus };
  /** Stops the sample registries. */
  'demo:stop': { args: Record<string, never>; result: { stopped: boolean } };
  /** Whether the sample registries run, and where. */
  'demo:status': { args: Record<string, never>; result: DemoStatus };
}

/** Every event the engine pushes to front ends. */
export interface ApiEvents {
  'job:progress': { jobId: string; progress: JobProgress };
  'job:state': JobState;
  /** Per-blob states of a job, batched: at most one every 250 ms, holding only the blobs that changed since the last one. */
  'job:blobs': { jobId: string; blobs: BlobProgress[] };
  'drives:changed': { drives: DriveInfo[] };
  /** The app's registry started or stopped (or failed to start with the app). */
  'serve:state': ServeStatus;
}

/** A method name. */
export type ApiMethod = keyof ApiMethods;
/** An event name. */
export type ApiEvent = keyof ApiEvents;

/** The method names at run time: the adapters iterate this list, so none can be forgotten or added twice. */
export const API_METHODS = [
  'app:info',
  'drives:list',
  'drives:eject',
  'export:plan',
  'export:run',
  'export:target',
  'receipt:add',
  'site:summary',
  'import:inspect',
  'import:run',
  'bundle:verify',
  'job:cancel',
  'job:list',
  'mirror:config',
  'registry:test',
  'registry:check',
  'catalog:bundles',
  'catalog:totals',
  'catalog:bundle',
  'catalog:sites',
  'catalog:receipts',
  'catalog:audit',
  'settings:get',
  'settings:save',
  'credentials:status',
  'credentials:save',
  'credentials:delete',
  'files:list',
  'files:mkdir',
  'bundles:find',
  'sets:list',
  'sets:save',
  'browse:repositories',
  'browse:tags',
  'browse:platforms',
  'browse:files',
  'browse:read',
  'bundle:review',
  'bundle:decide',
  'bundle:images',
  'report:save',
  'policy:get',
  'policy:save',
  'keys:list',
  'mirror:save',
  'pullsecret:merge',
  'import:last',
  'serve:start',
  'serve:stop',
  'serve:status',
  'demo:start',
  'demo:stop',
  'demo:status',
] as const satisfies readonly ApiMethod[];

/** The event names at run time. */
export const API_EVENTS = ['job:progress', 'job:state', 'job:blobs', 'drives:changed', 'serve:state'] as const satisfies readonly ApiEvent[];

/** The typed client every front end gets: one async function per method, and a subscription to events. */
export type ApiClient = {
  [M in ApiMethod]: (args: ApiMethods[M]['args']) => Promise<ApiMethods[M]['result']>;
} & {
  on<E extends ApiEvent>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
};

/** How a method's failure crosses any boundary: the envelope, never a bare string. */
export type ApiResponse<M extends ApiMethod> = { ok: true; result: ApiMethods[M]['result'] } | { ok: false; error: ErrorEnvelope };

/** Compile-time proof that API_METHODS and API_EVENTS list every method and event exactly. */
type MissingMethods = Exclude<ApiMethod, (typeof API_METHODS)[number]>;
type MissingEvents = Exclude<ApiEvent, (typeof API_EVENTS)[number]>;
export const CONTRACT_IS_COMPLETE: [MissingMethods, MissingEvents] extends [never, never] ? true : never = true;
