/**
 * Signatures, attestations and SBOMs for an image already pushed to a real
 * registry, made with node's crypto in the layouts cosign writes (cosign
 * pkg/oci/static, pkg/types, cmd/cosign/cli/attest; sigstore's simple signing
 * payload) and the OCI 1.1 referrers shape (image-spec manifest.md `subject`
 * and `artifactType`, distribution-spec "Referrers Tag Schema"):
 * - `sha256-<hex>.sig`: an OCI manifest whose one layer is the simple signing
 *   payload, its ECDSA P-256 SHA-256 signature in the layer's
 *   `dev.cosignproject.cosign/signature` annotation (base64 DER);
 * - `sha256-<hex>.att`: a DSSE envelope over an in-toto Statement;
 * - `sha256-<hex>.sbom`: an SPDX document as `cosign attach sbom` leaves it;
 * - referrers shape: manifests with `subject` pushed by digest, and, since
 *   Distribution 2.8 has no referrers API, the fallback index at tag
 *   `sha256-<hex>` listing them.
 * Harness code, not Ferry's: blobs go up to an anonymous registry only.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { FIXED_TIME, MediaTypes, describe, imageConfig, imageIndex, imageManifest, jsonContent, makeLayer, toContent, type Content, type Descriptor } from './fixture-content.ts';
import { putManifestRaw } from './raw-push.ts';
import type { RunningRegistry } from './registry.ts';

/** The media types and annotation keys cosign and the referrers shape use. */
export const CosignTypes = {
  simpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
  dsseEnvelope: 'application/vnd.dsse.envelope.v1+json',
  inTotoPayload: 'application/vnd.in-toto+json',
  /** cosign's artifactType for a signature stored in the OCI 1.1 referrers shape. */
  artifactSignature: 'application/vnd.dev.cosign.artifact.sig.v1+json',
  signatureAnnotation: 'dev.cosignproject.cosign/signature',
  spdxJson: 'application/spdx+json',
  /** What `cosign attach sbom --type spdxjson` labels the layer. */
  cosignSpdxJson: 'text/spdx+json',
  /** `critical.type` of every simple signing payload cosign writes. */
  payloadType: 'cosign container image signature',
} as const;

/** The image being signed: where it lives and its root manifest's descriptor. */
export interface SubjectImage {
  registry: RunningRegistry;
  repository: string;
  digest: string;
  mediaType: string;
  size: number;
}

/** A signing key pair as `cosign generate-key-pair` makes one (ECDSA P-256), with its public key as SPKI PEM. */
export interface FixtureKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyPem: string;
}

/** One manifest the fixture pushed, and the blobs it points to. */
export interface AttachedManifest {
  manifest: Content;
  config: Content;
  layers: Content[];
  /** The tag it was pushed under (tag fallback), or undefined when pushed by digest only (referrers shape). */
  tag?: string;
}

/** A simple signing signature: the payload blob and the base64 signature in its annotation. */
export interface AttachedSignature extends AttachedManifest {
  payload: Content;
  signature: string;
}

/** A manifest pushed in the referrers shape, and the fallback index that lists it. */
export interface AttachedReferrer extends AttachedManifest {
  indexTag: string;
  /** The fallback index as pushed after this manifest was added to it. */
  index: Content;
}

/** Makes a fresh ECDSA P-256 key pair, the kind cosign's key-based signing uses (or Ed25519, which cosign also accepts). */
export function makeFixtureKey(algorithm: 'p256' | 'ed25519' = 'p256'): FixtureKey {
  const { privateKey, publicKey } = algorithm === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** `sha256-<hex>` plus `.sig`/`.att`/`.sbom` (cosign's tags), or nothing (the referrers fallback index tag). */
export function fallbackTag(digest: string, suffix: 'sig' | 'att' | 'sbom' | '' = ''): string {
  const tag = digest.replace(':', '-');
  return suffix ? `${tag}.${suffix}` : tag;
}

/** The simple signing payload cosign signs: the reference it signed and the manifest digest, then `optional`. */
export function simpleSigningPayload(dockerReference: string, digest: string, optional: Record<string, string> | null = null): Buffer {
  const payload = { critical: { identity: { 'docker-reference': dockerReference }, image: { 'docker-manifest-digest': digest }, type: CosignTypes.payloadType }, optional };
  return Buffer.from(JSON.stringify(payload));
}

/** Base64 of an ECDSA (DER) signature with SHA-256 (or an Ed25519 signature) over `bytes`, what the signature annotation holds. */
export function signBytes(key: FixtureKey, bytes: Buffer): string {
  return sign(key.privateKey.asymmetricKeyType === 'ed25519' ? null : 'sha256', bytes, key.privateKey).toString('base64');
}

/** DSSE pre-authentication encoding (DSSE protocol.md): what the envelope's signature covers. */
export function dssePae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType);
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/** Uploads one blob monolithically (POST, then PUT with the digest) to an anonymous registry; a blob already there is skipped by the registry itself. */
async function uploadBlob(registry: RunningRegistry, repository: string, blob: Content): Promise<void> {
  if (registry.mode !== 'anonymous') throw new Error('signed-images pushes blobs to an anonymous registry only');
  const start = await fetch(`${registry.url}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  await start.arrayBuffer();
  const location = start.headers.get('location');
  if (start.status !== 202 || !location) throw new Error(`upload to ${repository}: ${start.status}`);
  const url = new URL(location, registry.url);
  url.searchParams.set('digest', blob.digest);
  const put = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: blob.data });
  await put.arrayBuffer();
  if (put.status !== 201) throw new Error(`upload of ${blob.digest} to ${repository}: ${put.status}`);
}

/** The config cosign's signature images carry (go-containerregistry's empty image with one layer appended). */
function cosignConfig(layers: readonly Content[]): Content {
  const created = '0001-01-01T00:00:00Z';
  return jsonContent(MediaTypes.ociConfig, {
    architecture: '',
    created,
    history: layers.map(() => ({ created })),
    os: '',
    rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.digest) },
    config: {},
  });
}

/** The OCI empty descriptor's blob (`{}`), the config of artifacts in the referrers shape. */
function emptyConfig(): Content {
  return toContent(MediaTypes.ociEmpty, Buffer.from('{}'));
}

function subjectDescriptor(subject: SubjectImage): Descriptor {
  return { mediaType: subject.mediaType, digest: subject.digest, size: subject.size };
}

/** `HOST/REPO`, the docker-reference cosign writes into the payload. */
export function dockerReference(subject: SubjectImage): string {
  return `${subject.registry.host}/${subject.repository}`;
}

async function pushManifest(subject: SubjectImage, config: Content, layers: Content[], manifest: Content, tag: string | undefined): Promise<AttachedManifest> {
  for (const blob of [config, ...layers]) await uploadBlob(subject.registry, subject.repository, blob);
  await putManifestRaw(subject.registry, subject.repository, tag ?? manifest.digest, manifest.mediaType, manifest.data);
  return { manifest, config, layers, ...(tag === undefined ? {} : { tag }) };
}

/** What a simple signing signature claims; the defaults are what cosign would write, overrides make the bad ones tests need. */
export interface SignatureOptions {
  /** The digest the payload names; default the subject's (another one makes a signature for the wrong image). */
  payloadDigest?: string;
  /** default HOST/REPO of the subject */
  dockerReference?: string;
  optional?: Record<string, string> | null;
  /** Exact payload bytes instead of the built ones (malformed payload tests). */
  payload?: Buffer;
  /** The annotation's text instead of a real signature over the payload (bad signature tests). */
  signature?: string;
}

function signatureLayer(subjectDigest: string, reference: string, key: FixtureKey, options: SignatureOptions): { payload: Content; signature: string } {
  const bytes = options.payload ?? simpleSigningPayload(options.dockerReference ?? reference, options.payloadDigest ?? subjectDigest, options.optional ?? null);
  const signature = options.signature ?? signBytes(key, bytes);
  return { payload: { ...toContent(CosignTypes.simpleSigning, bytes), annotations: { [CosignTypes.signatureAnnotation]: signature } }, signature };
}

/** A signature manifest and its blobs, not pushed anywhere (bundles written straight to disk use these). */
export interface BuiltSignature {
  manifest: Content;
  config: Content;
  layers: Content[];
  payload: Content;
  signature: string;
}

/** Builds cosign's tag-fallback signature manifest (`.sig`) for the image `subjectDigest`, as pulled from `reference`. */
export function buildCosignSignature(subjectDigest: string, reference: string, key: FixtureKey, options: SignatureOptions = {}): BuiltSignature {
  const { payload, signature } = signatureLayer(subjectDigest, reference, key, options);
  const config = cosignConfig([payload]);
  return { manifest: imageManifest(MediaTypes.ociManifest, config, [payload]), config, layers: [payload], payload, signature };
}

/** Builds a signature manifest in the referrers shape (`subject`, cosign's artifactType, empty config), as cosign's OCI 1.1 mode writes it. */
export function buildReferrerSignature(subject: Descriptor, reference: string, key: FixtureKey, options: SignatureOptions = {}): BuiltSignature {
  const { payload, signature } = signatureLayer(subject.digest, reference, key, options);
  const config = emptyConfig();
  const annotations = { 'org.opencontainers.image.created': FIXED_TIME.toISOString() };
  const subjectField = { mediaType: subject.mediaType, digest: subject.digest, size: subject.size };
  const manifest = imageManifest(MediaTypes.ociManifest, config, [payload], { artifactType: CosignTypes.artifactSignature, subject: subjectField, annotations });
  return { manifest, config, layers: [payload], payload, signature };
}

/** Pushes a cosign signature for the subject under `sha256-<hex>.sig`, as `cosign sign --key` does against a registry without referrers. */
export async function attachCosignSignature(subject: SubjectImage, key: FixtureKey, options: SignatureOptions = {}): Promise<AttachedSignature> {
  const built = buildCosignSignature(subject.digest, dockerReference(subject), key, options);
  const pushed = await pushManifest(subject, built.config, built.layers, built.manifest, fallbackTag(subject.digest, 'sig'));
  return { ...pushed, payload: built.payload, signature: built.signature };
}

/** Pushes an in-toto attestation (DSSE envelope) under `sha256-<hex>.att`, as `cosign attest --key` does. */
export async function attachCosignAttestation(
  subject: SubjectImage,
  key: FixtureKey,
  predicateType = 'https://slsa.dev/provenance/v0.2',
  predicate: object = { builder: { id: 'https://ferry.test/fixture' } },
): Promise<AttachedManifest & { envelope: Content }> {
  const statement = Buffer.from(
    JSON.stringify({ _type: 'https://in-toto.io/Statement/v0.1', predicateType, subject: [{ name: dockerReference(subject), digest: { sha256: subject.digest.slice('sha256:'.length) } }], predicate }),
  );
  const sig = signBytes(key, dssePae(CosignTypes.inTotoPayload, statement));
  const envelopeBytes = Buffer.from(JSON.stringify({ payloadType: CosignTypes.inTotoPayload, payload: statement.toString('base64'), signatures: [{ keyid: '', sig }] }));
  const envelope: Content = { ...toContent(CosignTypes.dsseEnvelope, envelopeBytes), annotations: { [CosignTypes.signatureAnnotation]: '', predicateType } };
  const config = cosignConfig([envelope]);
  const manifest = imageManifest(MediaTypes.ociManifest, config, [envelope], { annotations: { predicateType } });
  const pushed = await pushManifest(subject, config, [envelope], manifest, fallbackTag(subject.digest, 'att'));
  return { ...pushed, envelope };
}

/** A small SPDX 2.3 JSON document naming the subject. */
export function spdxDocument(subject: SubjectImage): Buffer {
  return Buffer.from(
    JSON.stringify({
      spdxVersion: 'SPDX-2.3',
      dataLicense: 'CC0-1.0',
      SPDXID: 'SPDXRef-DOCUMENT',
      name: `${subject.repository}@${subject.digest}`,
      documentNamespace: `https://ferry.test/spdx/${subject.digest.slice('sha256:'.length)}`,
      creationInfo: { created: FIXED_TIME.toISOString(), creators: ['Tool: ferry-fixture'] },
      packages: [{ SPDXID: 'SPDXRef-fixture', name: subject.repository, downloadLocation: 'NOASSERTION' }],
    }),
  );
}

/** Pushes an SBOM under `sha256-<hex>.sbom`, as `cosign attach sbom --type spdxjson` does. */
export async function attachCosignSbom(subject: SubjectImage): Promise<AttachedManifest> {
  const sbom = toContent(CosignTypes.cosignSpdxJson, spdxDocument(subject));
  const config = cosignConfig([sbom]);
  const manifest = imageManifest(MediaTypes.ociManifest, config, [sbom]);
  return pushManifest(subject, config, [sbom], manifest, fallbackTag(subject.digest, 'sbom'));
}

/** Reads the fallback index at `sha256-<hex>`, or an empty list when there is none yet. */
async function currentFallbackEntries(subject: SubjectImage): Promise<Descriptor[]> {
  const response = await fetch(`${subject.registry.url}/v2/${subject.repository}/manifests/${fallbackTag(subject.digest)}`, { headers: { accept: MediaTypes.ociIndex } });
  if (response.status === 404) {
    await response.arrayBuffer();
    return [];
  }
  if (!response.ok) throw new Error(`GET referrers fallback index of ${subject.repository}@${subject.digest}: ${response.status}`);
  const index = (await response.json()) as { manifests?: Descriptor[] };
  return index.manifests ?? [];
}

/** Pushes `manifest` by digest and adds it to the fallback index at `sha256-<hex>` (distribution-spec Referrers Tag Schema). */
async function pushReferrer(subject: SubjectImage, config: Content, layers: Content[], manifest: Content, artifactType: string, annotations?: Record<string, string>): Promise<AttachedReferrer> {
  const pushed = await pushManifest(subject, config, layers, manifest, undefined);
  const entries = (await currentFallbackEntries(subject)).filter((entry) => entry.digest !== manifest.digest);
  entries.push(describe(manifest, { artifactType, ...(annotations ? { annotations } : {}) }));
  const index = imageIndex(MediaTypes.ociIndex, entries);
  const indexTag = fallbackTag(subject.digest);
  await putManifestRaw(subject.registry, subject.repository, indexTag, index.mediaType, index.data);
  return { ...pushed, indexTag, index };
}

/** Pushes an SBOM artifact in the referrers shape (`subject` + `artifactType`), by digest, and lists it in the fallback index. */
export async function attachSbomReferrer(subject: SubjectImage, artifactType: string = CosignTypes.spdxJson): Promise<AttachedReferrer> {
  const sbom = toContent(artifactType, spdxDocument(subject));
  const config = emptyConfig();
  const annotations = { 'org.opencontainers.image.created': FIXED_TIME.toISOString() };
  const manifest = imageManifest(MediaTypes.ociManifest, config, [sbom], { artifactType, subject: subjectDescriptor(subject), annotations });
  return pushReferrer(subject, config, [sbom], manifest, artifactType, annotations);
}

/** Pushes a simple signing signature in the referrers shape, as cosign's OCI 1.1 mode does, and lists it in the fallback index. */
export async function attachReferrerSignature(subject: SubjectImage, key: FixtureKey, options: SignatureOptions = {}): Promise<AttachedReferrer & AttachedSignature> {
  const built = buildReferrerSignature(subjectDescriptor(subject), dockerReference(subject), key, options);
  const annotations = { 'org.opencontainers.image.created': FIXED_TIME.toISOString() };
  const pushed = await pushReferrer(subject, built.config, built.layers, built.manifest, CosignTypes.artifactSignature, annotations);
  return { ...pushed, payload: built.payload, signature: built.signature };
}

/** Pushes a one-layer linux/amd64 OCI image under `tag` (its file says `label`, so each label is its own digest): a subject to sign. */
export async function pushSmallImage(registry: RunningRegistry, repository: string, tag: string, label: string): Promise<SubjectImage> {
  const layer = await makeLayer(MediaTypes.ociLayerGzip, [{ name: 'label.txt', data: Buffer.from(`${label}\n`) }]);
  const config = imageConfig(MediaTypes.ociConfig, { architecture: 'amd64', os: 'linux' }, [layer], label);
  const manifest = imageManifest(MediaTypes.ociManifest, config, [layer.content]);
  const subject: SubjectImage = { registry, repository, digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.size };
  await pushManifest(subject, config, [layer.content], manifest, tag);
  return subject;
}

/** Everything one fully dressed image carries. */
export interface SignedImageFixture {
  signature: AttachedSignature;
  attestation: AttachedManifest & { envelope: Content };
  sbom: AttachedManifest;
  sbomReferrer: AttachedReferrer;
  referrerSignature: AttachedReferrer & AttachedSignature;
  /** The fallback index as it stands at the end (lists both referrers-shape manifests). */
  fallbackIndex: Content;
}

/** Attaches all of the above to one image: tag-fallback signature, attestation and SBOM, and referrers-shape SBOM and signature. */
export async function attachEverything(subject: SubjectImage, key: FixtureKey): Promise<SignedImageFixture> {
  const signature = await attachCosignSignature(subject, key);
  const attestation = await attachCosignAttestation(subject, key);
  const sbom = await attachCosignSbom(subject);
  const sbomReferrer = await attachSbomReferrer(subject);
  const referrerSignature = await attachReferrerSignature(subject, key);
  return { signature, attestation, sbom, sbomReferrer, referrerSignature, fallbackIndex: referrerSignature.index };
}
