/**
 * Release signatures, carried with the releases they sign: the cluster
 * version operator refuses an update whose release digest has no signature it
 * trusts, and a disconnected cluster reads them from ConfigMaps in
 * `openshift-config-managed` (written on import from this artifact). They are
 * fetched on the connected side from the signature store, laid out as
 * `<store>/sha256=<hex>/signature-<n>`, n = 1, 2, … until the store answers
 * a client error (404, or 403 as a CDN answers for a file it does not hold).
 *
 * oc-mirror v2 (internal/pkg/release/signature.go) reads only `signature-1`,
 * fails when it is missing (unless `--ignore-release-signature`, which Ferry
 * does not have), and checks it against Red Hat's key. Ferry takes every
 * signature the store has, also fails without at least one, and does NOT parse
 * or verify them: the bytes are carried as they are, capped in size, and the
 * cluster verifies them against its own keyring when it is asked to update,
 * the only check that counts. Their digests are fixed here, so the bundle
 * carries exactly what was fetched.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import type { LocalArtifact } from '../oci/local-artifact.ts';
import { EMPTY_CONFIG } from '../oci/local-artifact.ts';
import { RELEASE_SIGNATURE_MEDIA_TYPE, RELEASE_SIGNATURES_ARTIFACT_TYPE, RELEASE_SIGNATURES_PATH, RELEASE_SIGNATURES_SECTION, releaseSignatureKey } from '../oci/openshift-artifacts.ts';
import { formatReference } from '../oci/reference.ts';
import { RegistryError, redactUrl } from '../oci/registry/errors.ts';
import { httpGetCapped } from './http-download.ts';
import { DEFAULT_SIGNATURE_STORE } from './openshift-graph.ts';
import type { ReleaseInfo } from './openshift-release.ts';
import type { ResolveContext } from './types.ts';

/** Largest signature file read: a release signature is an OpenPGP message of under a kilobyte. */
export const SIGNATURE_LIMIT = 64 * 1024;
/** Most signature files read per release: the store holds one or two; a store answering every index is misconfigured. */
export const MAX_SIGNATURES = 16;

/** What the artifact of one release is made from: the release by digest, its version and architecture. */
export type SignedRelease = Pick<ReleaseInfo, 'image' | 'version' | 'arch'>;

function storeUrl(store: string): URL {
  let url: URL;
  try {
    url = new URL(store.endsWith('/') ? store : `${store}/`);
  } catch {
    throw new FerryError('INVALID_ARGUMENT', `signature store ${JSON.stringify(redactUrl(store))} is not a URL`, { url: redactUrl(store) });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new FerryError('INVALID_ARGUMENT', `signature store ${redactUrl(store)} is not an http(s) URL`, { url: redactUrl(store) });
  return url;
}

/**
 * The status of a store's final "no such file" answer: any 4xx but the
 * temporary ones (408, 425, 429, already retried), which say nothing about
 * whether the file exists. undefined for a 5xx or a network failure.
 */
function missingStatus(error: unknown): number | undefined {
  if (!(error instanceof FerryError)) return undefined;
  // http-download answers 401 and 403 itself, without a status.
  if (error.code === 'UNAUTHORIZED') return 401;
  if (error.code === 'DENIED') return 403;
  if (!(error instanceof RegistryError) || error.temporary || error.status === undefined) return undefined;
  return error.status >= 400 && error.status < 500 ? error.status : undefined;
}

/**
 * Fetches every signature of one release into `folder`, n = 1, 2, … until the
 * store answers a 4xx; refuses a release without the first, naming it and the
 * URL asked. A 5xx or a network failure fails the export at any n, rather than
 * carrying fewer signatures than the store holds.
 */
async function fetchOne(context: ResolveContext, base: URL, release: SignedRelease, folder: string): Promise<LocalArtifact> {
  const digest = release.image.digest ?? '';
  const hex = /^sha256:([0-9a-f]{64})$/.exec(digest)?.[1];
  const name = `OpenShift ${release.version} (${release.arch}) ${formatReference(release.image)}`;
  if (hex === undefined) throw new FerryError('INVALID_ARGUMENT', `${name}: signatures are kept by sha256 digest, this release has none`, { reference: formatReference(release.image) });
  const layers: LocalArtifact['layers'] = [];
  for (let index = 1; ; index += 1) {
    const url = new URL(`sha256=${hex}/signature-${index}`, base);
    if (index > MAX_SIGNATURES) {
      throw new FerryError('INVALID_CONTENT', `${name}: the signature store answers more than ${MAX_SIGNATURES} signatures (${redactUrl(url.href)}); is ${redactUrl(base.href)} a signature store?`, {
        url: redactUrl(url.href),
      });
    }
    let bytes: Buffer;
    try {
      bytes = await httpGetCapped(context.registries, url, `signature ${index} of ${name}`, SIGNATURE_LIMIT, context.signal);
    } catch (error) {
      const status = missingStatus(error);
      if (status === undefined) throw error;
      if (index > 1) break;
      throw new FerryError(
        'NOT_FOUND',
        `${name} has no signature in the signature store: ${redactUrl(url.href)} answered ${status} (the cluster refuses an update to an unsigned release). Point --signature-store at a store that holds this release's signatures and that this machine can reach.`,
        { reference: formatReference(release.image), url: redactUrl(url.href), status },
        { cause: error },
      );
    }
    if (bytes.length === 0) throw new FerryError('INVALID_CONTENT', `${name}: ${redactUrl(url.href)} is empty`, { url: redactUrl(url.href) });
    const title = releaseSignatureKey(digest, index);
    const file = join(folder, title);
    await writeFile(file, bytes, { flag: 'wx' });
    layers.push({ mediaType: RELEASE_SIGNATURE_MEDIA_TYPE, file, title });
  }
  return {
    source: redactUrl(new URL(`sha256=${hex}`, base).href),
    target: { path: RELEASE_SIGNATURES_PATH, tag: `${release.version}-${release.arch}` },
    section: RELEASE_SIGNATURES_SECTION,
    artifactType: RELEASE_SIGNATURES_ARTIFACT_TYPE,
    config: EMPTY_CONFIG,
    layers,
  };
}

/** One signature artifact per release (each release once, by digest), files in the resolver's staging folder; the store is `context.signatureStore` or the public one. */
export async function fetchReleaseSignatures(context: ResolveContext, releases: readonly SignedRelease[]): Promise<{ artifacts: LocalArtifact[]; notes: string[] }> {
  const unique = [...new Map(releases.map((release) => [release.image.digest ?? formatReference(release.image), release])).values()];
  if (unique.length === 0) return { artifacts: [], notes: [] };
  if (context.staging === undefined) throw new FerryError('INTERNAL', 'no staging folder was given to the image set resolvers');
  const store = context.signatureStore ?? DEFAULT_SIGNATURE_STORE;
  const base = storeUrl(store);
  const folder = await mkdtemp(join(context.staging, 'release-signatures-'));
  const artifacts: LocalArtifact[] = [];
  for (const release of unique) artifacts.push(await fetchOne(context, base, release, folder));
  const count = artifacts.reduce((sum, artifact) => sum + artifact.layers.length, 0);
  return {
    artifacts,
    notes: [`OpenShift release signatures: ${count} for ${artifacts.length} release${artifacts.length === 1 ? '' : 's'} from ${redactUrl(store)}, carried unverified (the cluster checks them)`],
  };
}
