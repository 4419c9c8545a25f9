/**
 * What a referrer is — a signature, an attestation, an SBOM or something else —
 * told from the cosign tag it was found under, else from its artifact type,
 * config and layer media types. Export records the answer in ferry.json, so the
 * inspector and the officer's Review step say "signature / attestation / SBOM
 * present" without opening the referrer; nothing trusts the answer for security
 * (image-signature checks read the manifests themselves).
 */
import type { BundleImage } from '../../src-shared/model/bundle.ts';
import { parseDigest } from './digest.ts';
import type { ImageManifest } from './manifest-parse.ts';

/** The fallback tag that stands for a subject's referrers list (`sha256:abc…` → `sha256-abc…`); registry/referrers.ts reads and writes it. */
export function referrersFallbackTag(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm}-${hex}`;
}

/** The kinds ferry.json's `referrer.kind` allows. */
export type ReferrerKind = NonNullable<BundleImage['referrer']>['kind'];

/** Cosign's tag suffixes (`sha256-<hex>.sig|.att|.sbom`) and what each holds. */
export const COSIGN_TAG_SUFFIXES: ReadonlyArray<{ suffix: string; kind: ReferrerKind }> = [
  { suffix: 'sig', kind: 'signature' },
  { suffix: 'att', kind: 'attestation' },
  { suffix: 'sbom', kind: 'sbom' },
];

/**
 * The one tag a referrer of `kind` may carry for `subject`: cosign's `sha256-<hex>.sig|.att|.sbom`, the only
 * tags export keeps (a referrer found through the referrers API or the fallback index travels by digest, and
 * the fallback index itself does not travel). Undefined for 'other': it has no tag. Verification and the import
 * plan refuse any other tag, so a referrer entry cannot set or move an image's tag on the mirror.
 */
export function referrerTagFor(subject: string, kind: ReferrerKind): string | undefined {
  const suffix = COSIGN_TAG_SUFFIXES.find((entry) => entry.kind === kind)?.suffix;
  return suffix === undefined ? undefined : `${referrersFallbackTag(subject)}.${suffix}`;
}

/** Sigstore bundles carry both signatures and attestations; cosign names the predicate in this annotation. */
const SIGSTORE_BUNDLE = 'application/vnd.dev.sigstore.bundle';
const SIGSTORE_PREDICATE_ANNOTATION = 'dev.sigstore.bundle.predicateType';
const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';

/** The kind one media type or artifact type names, if any. */
function kindOfType(type: string, annotations: Readonly<Record<string, string>> | undefined): ReferrerKind | undefined {
  const lower = type.toLowerCase();
  if (lower.startsWith(SIGSTORE_BUNDLE)) {
    const predicate = annotations?.[SIGSTORE_PREDICATE_ANNOTATION];
    return predicate === undefined || predicate === COSIGN_SIGN_PREDICATE ? 'signature' : 'attestation';
  }
  if (lower.includes('spdx') || lower.includes('cyclonedx') || lower.includes('syft') || lower.includes('.sbom')) return 'sbom';
  if (lower.includes('in-toto') || lower.includes('dsse') || lower.includes('.att.')) return 'attestation';
  if (lower.includes('simplesigning') || lower.includes('cosign.artifact.sig') || lower.includes('notary.signature') || lower.includes('.sig.')) return 'signature';
  return undefined;
}

/**
 * The kind of a referrer: the cosign tag's suffix when it was found under one,
 * else the first of its artifact type, config media type and layer media types
 * that names one; 'other' when none does (an SBOM in an unknown format stays carried).
 */
export function referrerKind(manifest: ImageManifest | undefined, options: { cosignTagSuffix?: string; artifactType?: string } = {}): ReferrerKind {
  const byTag = COSIGN_TAG_SUFFIXES.find((entry) => entry.suffix === options.cosignTagSuffix)?.kind;
  if (byTag) return byTag;
  const types = [options.artifactType, manifest?.artifactType, manifest?.config.mediaType, ...(manifest?.layers ?? []).map((layer) => layer.mediaType)];
  for (const type of types) {
    const kind = type === undefined ? undefined : kindOfType(type, manifest?.annotations);
    if (kind) return kind;
  }
  return 'other';
}
