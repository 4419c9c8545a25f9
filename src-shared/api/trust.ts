/**
 * The officer's part of the contract (`bundle:review`, `bundle:decide`,
 * `policy:*`, `keys:list` in contract.ts): what the Review step asks and what
 * the Settings policy editor reads and saves. Reports cross as the trust
 * model's own shapes (model/trust.ts), so the app shows what `ferry verify`
 * and `ferry import` say. A passphrase crosses once, into `bundle:decide`,
 * and is never stored, logged or sent back.
 */
import type { RegistryAccessInput } from './contract.ts';

export type { KeyRole, PolicyRuleResult, PolicyVerdict, ReferrerPresence, ReviewReport, SignatureFinding, TagChange, TagChangeStatus, TrustReport } from '../model/trust.ts';

/** What the Review step reviews: a bundle folder and the registry it would be pushed to (tag changes are read there). */
export interface ReviewInput {
  bundle: string;
  target: string;
  keepRegistryHost?: boolean;
  /** The import's "Keep paths at most N levels deep", so tags are read where the push will write them. */
  maxNestedPaths?: number;
  /** How to reach the target registry, as the import wizard collects it. */
  registry?: RegistryAccessInput;
}

/** An officer's decision on a bundle, signed with one of their keys and written beside ferry.json. */
export interface DecisionInput {
  bundle: string;
  decision: 'approve' | 'reject';
  /** A key name from the local keys folder, or the path of a `.key` file. */
  key: string;
  /** Opens the private key; used for this one call only. */
  passphrase: string;
  /** Required for a rejection: why. */
  note?: string;
  /** Approve a bundle older than what the site holds on its channel (the rollback rule). */
  allowRollback?: boolean;
}

/** The site policy file as the Settings editor reads and saves it. */
export interface PolicyDocument {
  /** Where the policy lives (beside the catalog). */
  path: string;
  /** Its exact text; null when the site has no policy yet. */
  text: string | null;
  /** `sha256:<hex>` of its bytes, what approvals name; null without a file. */
  digest: string | null;
}

/** A signing key in the local keys folder, for the Review step's key choice: names and fingerprints only, never key material. */
export interface SigningKeyInfo {
  name: string;
  algorithm: string;
  fingerprint: string;
  /** True when the private key (`NAME.key`) is there too, so it can sign. */
  canSign: boolean;
}
