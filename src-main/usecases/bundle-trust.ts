/**
 * The trust section of a verify report without a site policy (issue 14,
 * docs/trust.md "Signing a bundle"): the statements beside ferry.json checked
 * with the keys this machine knows (the local keys folder, roles unknown), and
 * one plain line: "unsigned", or "signed by exporter-1 (sha256:…), not checked
 * against a policy". The site policy's verdict is added on top of this by the
 * policy's review (usecases/trust-review.ts); nothing here judges a bundle.
 */
import type { SignatureFinding, TrustReport } from '../../src-shared/model/trust.ts';
import type { VerifiedBundle } from '../bundle/bundle-view.ts';
import { localKnownKeys, readStatements, type KnownKey } from '../trust/statements.ts';
import { keysFolder } from './keys.ts';

/** A signer as the summary names it: the key's name (or "an unknown key") and its fingerprint. */
function signerWords(finding: SignatureFinding): string {
  return `${finding.keyName ?? 'an unknown key'} (${finding.keyId})`;
}

/**
 * The summary line of a trust report without a policy: who signed (export
 * statements that verified), who approved or rejected, and how many statement
 * files did not verify with a known key.
 */
export function trustSummary(signatures: readonly SignatureFinding[]): string {
  const verified = signatures.filter((finding) => finding.ok);
  const signers = verified.filter((finding) => finding.kind === 'export');
  const approvals = verified.filter((finding) => finding.kind === 'approval');
  const rejections = verified.filter((finding) => finding.kind === 'rejection');
  const failed = signatures.length - verified.length;
  const parts = [signers.length === 0 ? 'unsigned' : `signed by ${signers.map(signerWords).join(', ')}`];
  if (approvals.length > 0) parts.push(`approved by ${approvals.map(signerWords).join(', ')}`);
  if (rejections.length > 0) parts.push(`REJECTED by ${rejections.map(signerWords).join(', ')}`);
  if (failed > 0) parts.push(`${failed} statement file(s) not verified with a known key`);
  if (verified.length > 0) parts.push('not checked against a policy');
  return parts.join(', ');
}

/**
 * The trust report of a verified bundle, without a policy: its statements
 * checked with `keys` (the local keys folder's by default). A plain OCI layout
 * has no ferry.json to sign and is "unsigned". Never throws for what is on
 * the media; only CANCELLED.
 */
export async function trustOfBundle(view: VerifiedBundle, keys?: readonly KnownKey[], signal?: AbortSignal): Promise<TrustReport> {
  if (view.ferryJson === undefined) return { summary: 'unsigned (a plain OCI layout has no ferry.json to sign)', signed: false, signatures: [] };
  const known = keys ?? (await localKnownKeys(keysFolder()).catch(() => []));
  const signatures = await readStatements(view.dir, view.ferryJson, known, signal);
  return { summary: trustSummary(signatures), signed: signatures.some((finding) => finding.ok && finding.kind === 'export'), signatures };
}

export type { KnownKey };
