/**
 * The trust chain as every front end shows it (issue 14, docs/trust.md): who
 * signed a bundle, who approved or rejected it, and the site policy's verdict
 * rule by rule. `ferry verify`, `ferry import`, the app's Review step and the
 * receipt all speak these shapes, so an officer reads the same answer in each.
 */

/** What a statement beside ferry.json says: the exporter vouches for it, or an officer approves or rejects it. */
export type StatementKind = 'export' | 'approval' | 'rejection';

/** A role a trusted key holds in the site policy: exporters sign bundles, officers decide on them, image signers sign images (cosign, `requireImageSignatures`). */
export type KeyRole = 'exporter' | 'officer' | 'image-signer';

/** One file under `signatures/`, as checked: who made it, what it says, and whether it verified. */
export interface SignatureFinding {
  /** The file, relative to the bundle folder (`signatures/exporter-1.sigstore.json`). */
  file: string;
  /** The signing key's fingerprint (`sha256:<hex>`) as the file names it; empty when the file could not be read that far. */
  keyId: string;
  /** The key's name where it is known (the policy's trustedKeys, or the local keys folder without a policy). */
  keyName?: string;
  /** The key's role in the policy; absent without a policy or for a key the policy does not trust. */
  role?: KeyRole;
  /** What the statement says; absent when it did not verify. */
  kind?: StatementKind;
  /** True when the signature verified with a known key and its statement names this very ferry.json. */
  ok: boolean;
  /** Why it did not verify, in plain words. */
  problem?: string;
  /** Approvals and rejections: the reviewer's name, the time, the note, the policy digest checked against, and whether a rollback is allowed. */
  reviewer?: string;
  time?: string;
  note?: string;
  policyDigest?: string;
  allowRollback?: boolean;
}

/** The ids of the policy's rules, in the order reports list them. */
export const POLICY_RULE_ORDER = [
  'signatures',
  'approvals',
  'rejections',
  'max-age',
  'rollback',
  'allowed-sources',
  'blocked-images',
  'allowed-targets',
  'overwrite-tags',
  'image-signatures',
] as const;

/** One policy rule's id. */
export type PolicyRuleId = (typeof POLICY_RULE_ORDER)[number];

/** One rule of the site policy as evaluated: what it asks, whether it passed, and every finding naming the image, key or tag. */
export interface PolicyRuleResult {
  id: PolicyRuleId;
  title: string;
  ok: boolean;
  /** Plain-language findings: on failure why, on success what satisfied it (e.g. "signed by exporter-1"). */
  details: string[];
}

/** The policy's verdict on one bundle. */
export interface PolicyVerdict {
  /** The policy file read, and the digest (`sha256:<hex>`) of its exact bytes: what approvals name. */
  path: string;
  digest: string;
  ok: boolean;
  rules: PolicyRuleResult[];
}

/**
 * The trust section of a verify report, an import's refusal and the Review
 * step: signatures and approvals, and the policy's verdict when a policy exists.
 */
export interface TrustReport {
  /** One line for people: "unsigned", "signed by exporter-1, not checked against a policy", "policy passed", "policy failed: …". */
  summary: string;
  /** True when at least one export signature verified. */
  signed: boolean;
  signatures: SignatureFinding[];
  /** Absent when the site has no policy: behaviour then stays as before issue 14. */
  policy?: PolicyVerdict;
}

/** How a tag the bundle sets compares with what the site holds. */
export type TagChangeStatus = 'added' | 'moved' | 'unchanged';

/** One tag an import would set, against the site's record (the catalog, or the registry when it is reachable). */
export interface TagChange {
  /** The target repository (with the registry and prefix) and tag. */
  repository: string;
  tag: string;
  /** The digest the bundle sets. */
  digest: string;
  /** The digest the site holds there now, for a moved tag. */
  previous?: string;
  status: TagChangeStatus;
  /** The image's source reference. */
  source: string;
}

/** Per image: which referrers travel with it. */
export interface ReferrerPresence {
  image: string;
  digest: string;
  signature: boolean;
  attestation: boolean;
  sbom: boolean;
}

/** Everything the officer's Review step shows for one bundle and one target. */
export interface ReviewReport {
  bundle: string;
  bundleId?: string;
  /** `sha256:<hex>` of ferry.json: what signatures and approvals name. */
  ferryJsonDigest?: string;
  created?: string;
  exporter?: { host: string; user: string; ferryVersion: string };
  channel?: string;
  sequence?: number;
  trust: TrustReport;
  /** Tags added, moved (old digest → new) and unchanged on this site. */
  changes: TagChange[];
  /** Source registries and the bytes of each. */
  sources: Array<{ registry: string; images: number; bytes: number }>;
  /** Total bytes of the bundle's images. */
  bytes: number;
  /** The image set's plan notes (Deckhouse requirements and disruptions, OpenShift notes). */
  notes: string[];
  referrers: ReferrerPresence[];
  /** True when an import may proceed: verification passed and the policy passed (or there is none). */
  pushAllowed: boolean;
  /** Why not, in plain words, when pushAllowed is false. */
  blockedReason?: string;
}
