/**
 * Which manifest kinds a registry stores, found by pushing small probe
 * manifests by digest (never by tag) into one repository: an image manifest
 * (the child and subject the others need), a Docker manifest and the list of
 * it, an OCI index, an artifact with `artifactType` and a referrer with
 * `subject`; then whether the referrers API answers. Every manifest carries
 * the check's nonce, so its digest is new to the registry and deleting it
 * afterwards can touch nothing anyone else pushed.
 */
import { DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_EMPTY, OCI_INDEX, OCI_MANIFEST } from '../media-types.ts';
import { sha256Digest } from '../digest.ts';
import type { RegistryClient } from './client.ts';
import { readCapped } from './client.ts';
import { putManifest } from './manifests.ts';
import { probe, probeBlobExists, pushProbeBlob, refusalWords, type ProbeAnswer, type ProbeRefusal } from './probe-access.ts';

/** The artifact type of the probe artifact. */
export const PROBE_ARTIFACT_TYPE = 'application/vnd.dev.ferry.registry-check.v1';
/** The annotation every probe manifest carries, with the check's nonce. */
export const PROBE_ANNOTATION = 'dev.ferry.registry-check';

/** One piece of probe content: its bytes, digest and media type. */
export interface ProbeContent {
  mediaType: string;
  bytes: Buffer;
  digest: string;
}

function content(mediaType: string, value: unknown): ProbeContent {
  const bytes = Buffer.from(JSON.stringify(value));
  return { mediaType, bytes, digest: sha256Digest(bytes) };
}

function descriptor(item: ProbeContent, mediaType = item.mediaType): { mediaType: string; digest: string; size: number } {
  return { mediaType, digest: item.digest, size: item.bytes.length };
}

/** The probe's blobs and manifests, all unique to `nonce`. */
export interface ProbeSet {
  /** The image config: the write probe's blob and the config of the image manifests. */
  config: ProbeContent;
  /** The OCI empty descriptor `{}`, the config and layer of the artifact. */
  empty: ProbeContent;
  image: ProbeContent;
  dockerImage: ProbeContent;
  index: ProbeContent;
  dockerList: ProbeContent;
  artifact: ProbeContent;
  referrer: ProbeContent;
}

/** Builds the probe content for one check. */
export function probeSet(nonce: string): ProbeSet {
  const annotations = { [PROBE_ANNOTATION]: nonce };
  const platform = { architecture: 'amd64', os: 'linux' };
  const config = content('application/vnd.oci.image.config.v1+json', { ...platform, config: { Labels: annotations }, rootfs: { type: 'layers', diff_ids: [] } });
  const empty = content(OCI_EMPTY, {});
  const image = content(OCI_MANIFEST, { schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptor(config), layers: [], annotations });
  const dockerImage = content(DOCKER_MANIFEST, { schemaVersion: 2, mediaType: DOCKER_MANIFEST, config: descriptor(config, 'application/vnd.docker.container.image.v1+json'), layers: [] });
  return {
    config,
    empty,
    image,
    dockerImage,
    index: content(OCI_INDEX, { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ ...descriptor(image), platform }], annotations }),
    dockerList: content(DOCKER_MANIFEST_LIST, { schemaVersion: 2, mediaType: DOCKER_MANIFEST_LIST, manifests: [{ ...descriptor(dockerImage), platform }] }),
    artifact: content(OCI_MANIFEST, { schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: PROBE_ARTIFACT_TYPE, config: descriptor(empty), layers: [descriptor(empty)], annotations }),
    referrer: content(OCI_MANIFEST, { schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptor(config), layers: [], subject: descriptor(image), annotations }),
  };
}

/** One manifest kind's answer: stored, refused (with the registry's words), or not tried because what it needs was refused. */
export type KindAnswer = { state: 'stored' } | { state: 'refused'; refusal: ProbeRefusal } | { state: 'skipped'; why: string };

/** What pushing the probe manifests found. */
export interface ManifestFinding {
  image: KindAnswer;
  dockerImage: KindAnswer;
  index: KindAnswer;
  dockerList: KindAnswer;
  artifact: KindAnswer;
  referrer: KindAnswer;
}

/**
 * What a check stored and must delete again, recorded as each push succeeds, so a check that is cancelled
 * or fails halfway still cleans up everything it stored.
 */
export interface ProbeTrail {
  /** Manifests stored, newest first: the order they must be deleted in (referrers and lists before what they point at). */
  manifests: ProbeContent[];
  /** Blobs this check added, newest first, deleted after the manifests (the empty descriptor only when it was not there before). */
  blobs: ProbeContent[];
}

async function put(client: RegistryClient, repository: string, item: ProbeContent, signal?: AbortSignal): Promise<KindAnswer> {
  const answer = await probe(() => putManifest(client, repository, item.digest, item.bytes, item.mediaType, signal), signal);
  return answer.ok ? { state: 'stored' } : { state: 'refused', refusal: answer.refusal };
}

function needs(answer: KindAnswer, what: string): KindAnswer | undefined {
  return answer.state === 'stored' ? undefined : { state: 'skipped', why: `not tried: the ${what} it points at was not stored` };
}

/**
 * Pushes the probe manifests into `repository`, where the config blob is already (the write probe pushed it).
 * Each is pushed by digest; what one needs (its child, its subject, the empty blob) is pushed first. What is
 * stored is added to `trail` as it is stored.
 */
export async function pushProbeManifests(client: RegistryClient, repository: string, set: ProbeSet, trail: ProbeTrail, signal?: AbortSignal): Promise<ManifestFinding> {
  const push = async (item: ProbeContent): Promise<KindAnswer> => {
    const answer = await put(client, repository, item, signal);
    if (answer.state === 'stored') trail.manifests.unshift(item);
    return answer;
  };
  const image = await push(set.image);
  const dockerImage = await push(set.dockerImage);
  const index = needs(image, 'image manifest') ?? (await push(set.index));
  const dockerList = needs(dockerImage, 'Docker image manifest') ?? (await push(set.dockerList));
  const referrer = needs(image, 'image manifest') ?? (await push(set.referrer));
  // The empty descriptor may be in the repository already (every artifact uses it): then it is used and left alone.
  const hadEmpty = await probeBlobExists(client, repository, set.empty.digest, signal);
  let artifact: KindAnswer;
  if (hadEmpty === true) artifact = await push(set.artifact);
  else {
    const pushed: ProbeAnswer<void> = await pushProbeBlob(client, repository, set.empty, signal);
    if (pushed.ok) {
      trail.blobs.unshift(set.empty);
      artifact = await push(set.artifact);
    } else artifact = { state: 'skipped', why: `not tried: the empty config blob was refused (${refusalWords(pushed.refusal)})` };
  }
  return { image, dockerImage, index, dockerList, artifact, referrer };
}

/** A referrers list is a small index; more than this is not one. */
const REFERRERS_BODY_LIMIT = 4 * 1024 * 1024;

/** What the referrers API answered. */
export interface ReferrersFinding {
  /** true: it answered with an index; false: 404/400/405 as registries without it do; undefined: could not tell. */
  api: boolean | undefined;
  words: string;
}

/**
 * Asks `GET /v2/<name>/referrers/<digest>`. A registry with the API answers 200 and an index (listing the
 * probe referrer when one was stored); Distribution 2.8 answers 404 with a plain "404 page not found", as
 * an unknown route. A JSON 404 naming the repository or manifest says only that they are unknown.
 */
export async function probeReferrers(client: RegistryClient, repository: string, digest: string, referrer: string | undefined, signal?: AbortSignal): Promise<ReferrersFinding> {
  const answer = await probe(async () => {
    const response = await client.send({
      method: 'GET',
      path: `/v2/${repository}/referrers/${digest}`,
      scopes: [{ repository, actions: ['pull'] }],
      expect: [200, 400, 404, 405],
      subject: `referrers of ${client.registry}/${repository}@${digest}`,
      headers: { accept: OCI_INDEX },
      signal,
    });
    const body = (await readCapped(response.body, REFERRERS_BODY_LIMIT, 'the referrers answer')).toString('utf8');
    return { status: response.statusCode, body };
  }, signal);
  if (!answer.ok) return { api: undefined, words: `the referrers API answered ${refusalWords(answer.refusal)}` };
  const { status, body } = answer.value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (status === 200) {
    const manifests = (parsed as { manifests?: unknown } | undefined)?.manifests;
    if (!Array.isArray(manifests)) return { api: undefined, words: 'the referrers API answered 200 without an index' };
    const listed = referrer !== undefined && manifests.some((m) => (m as { digest?: unknown }).digest === referrer);
    return {
      api: true,
      words: referrer === undefined ? 'answers with an index' : listed ? 'answers with an index that lists the probe referrer' : 'answers with an index (without the probe referrer yet)',
    };
  }
  const codes = ((parsed as { errors?: Array<{ code?: unknown }> } | undefined)?.errors ?? []).map((e) => String(e.code));
  if (status === 404 && (codes.includes('NAME_UNKNOWN') || codes.includes('MANIFEST_UNKNOWN')) && referrer === undefined) {
    return { api: undefined, words: `404 ${codes.join(', ')}: asked about a repository or manifest the registry does not know, which says nothing about the API` };
  }
  return { api: false, words: `no: ${status}${codes.length > 0 ? ` ${codes.join(', ')}` : ''} (clients fall back to the sha256-<digest> tag)` };
}
