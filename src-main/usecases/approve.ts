/**
 * The officer's decision on a bundle (issue 14, docs/trust.md "Approvals"):
 * `ferry approve` / `ferry reject` and the app's Review step both call
 * decideBundle. It verifies every byte of the bundle first, then signs an
 * approval statement over the exact ferry.json bytes that verification read
 * (a Sigstore bundle beside ferry.json in `signatures/`, one decision per
 * key, a later one replacing the earlier), and appends the decision to the
 * catalog's audit log. The passphrase opens the key and is never stored,
 * logged or written anywhere.
 */
import { createPublicKey } from 'node:crypto';
import { resolve } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import { BUNDLE_FILES } from '../../src-shared/model/bundle.ts';
import type { SignatureFinding, StatementKind } from '../../src-shared/model/trust.ts';
import type { Catalog } from '../catalog/index.ts';
import { APPROVAL_PREDICATE_TYPE, signFerryStatement, verifyFerryJsonSignature } from '../trust/bundle-signature.ts';
import { checkKeyName, readSigningKey } from '../trust/keys.ts';
import { readSitePolicy } from '../trust/policy.ts';
import { statementFileName, writeStatement } from '../trust/statements.ts';
import { keysFolder } from './keys.ts';
import type { JobContext } from './job-context.ts';
import { verificationFailed, verifyWithView } from './verify.ts';

/** The decisions an officer can sign. */
export const DECISIONS = ['approve', 'reject'] as const;
/** What an officer decides about a bundle. */
export type Decision = (typeof DECISIONS)[number];

/** A note longer than this is not a note; it is a document to attach elsewhere. */
export const MAX_NOTE_LENGTH = 4000;
/** A reviewer's name is a name, not a paragraph. */
export const MAX_REVIEWER_LENGTH = 200;

/** What decideBundle needs: the bundle, the key and its passphrase, the decision and its words. */
export interface DecisionInput {
  /** The bundle folder (either form). */
  bundle: string;
  /** A key name in the keys folder, or a path to a `.key` file. */
  key: string;
  /** Opens the private key; never stored or logged. */
  passphrase: string;
  decision: Decision;
  /** Why; required for a rejection. */
  note?: string;
  /** Approvals only: lets the site import this bundle even when its sequence is not higher than the channel's last one. */
  allowRollback?: boolean;
  /** Who decides, as people read it; the key's name when not given. */
  reviewer?: string;
  /** The site policy file the decision is made against; `policy.yaml` beside the catalog when not given (and none when that does not exist). */
  policyPath?: string;
  /** The keys folder a key name is looked up in; Ferry's default keys folder when not given. */
  keysDir?: string;
}

/**
 * The predicate of an approval statement, as written (APPROVAL_PREDICATE_TYPE):
 * what readers of `signatures/*.approval.sigstore.json` find.
 */
export interface ApprovalPredicate {
  [field: string]: unknown;
  decision: Decision;
  reviewer: string;
  /** When the decision was signed, ISO 8601 UTC. */
  time: string;
  note: string | null;
  /** `sha256:<hex>` of the site policy file's exact bytes, or null when the site has no policy. */
  policyDigest: string | null;
  allowRollback: boolean;
}

/** Control characters other than newline and tab: they could forge lines or drive a terminal when the note is shown. */
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** The note, checked: trimmed, required for a rejection, bounded, no control characters; null when there is none. */
function checkedNote(note: string | undefined, decision: Decision): string | null {
  const text = note?.trim() ?? '';
  if (text === '') {
    if (decision === 'reject') throw new FerryError('INVALID_ARGUMENT', 'a rejection needs a note saying why (--note TEXT): the exporter and the audit log must know the reason');
    return null;
  }
  if (text.length > MAX_NOTE_LENGTH) throw new FerryError('INVALID_ARGUMENT', `the note is ${text.length} characters; at most ${MAX_NOTE_LENGTH} are allowed`);
  if (CONTROL_CHARACTERS.test(text)) throw new FerryError('INVALID_ARGUMENT', 'the note holds control characters; use plain text (newlines and tabs are allowed)');
  return text;
}

/** The reviewer's name, checked: one line of plain text, bounded. */
function checkedReviewer(reviewer: string): string {
  const name = reviewer.trim();
  if (name === '') throw new FerryError('INVALID_ARGUMENT', 'the reviewer name is empty');
  if (name.length > MAX_REVIEWER_LENGTH) throw new FerryError('INVALID_ARGUMENT', `the reviewer name is ${name.length} characters; at most ${MAX_REVIEWER_LENGTH} are allowed`);
  if (CONTROL_CHARACTERS.test(name) || /[\n\t]/.test(name)) throw new FerryError('INVALID_ARGUMENT', 'the reviewer name must be one line of plain text');
  return name;
}

/**
 * Approves or rejects a bundle with a signing key: verifies the whole bundle,
 * signs an approval statement over its ferry.json, writes it to
 * `signatures/<key>-<fp>.approval.sigstore.json` (replacing this key's earlier
 * decision) and records the decision in the audit log. Returns the statement
 * as verify reports it. Refuses a plain OCI layout, a bundle whose ferry.json
 * does not pin index.json, a rejection without a note, and a key it cannot open.
 */
export async function decideBundle(input: DecisionInput, catalog: Catalog, context: JobContext = {}): Promise<SignatureFinding> {
  const { decision } = input;
  // Checked at run time too: the app's calls cross a process boundary.
  if (!DECISIONS.includes(decision)) throw new FerryError('INVALID_ARGUMENT', `unknown decision ${JSON.stringify(decision)}: approve or reject`);
  const note = checkedNote(input.note, decision);
  const allowRollback = input.allowRollback === true;
  if (allowRollback && decision === 'reject') throw new FerryError('INVALID_ARGUMENT', 'allowing a rollback is part of an approval; a rejection cannot allow one');
  // The key is opened before the (possibly long) verification, so a wrong passphrase is told at once; nothing is signed before verification passes.
  const key = await readSigningKey(input.key, input.passphrase, keysFolder(input.keysDir));
  checkStatementKeyName(key.name, input.key);
  const reviewer = checkedReviewer(input.reviewer ?? key.name);
  // Read and checked whole, so a decision never names the digest of a policy the site could not load.
  const policy = await readSitePolicy(input.policyPath === '' ? undefined : input.policyPath, catalog.path);

  const bundle = resolve(input.bundle);
  const consequence = `it cannot be ${decision === 'approve' ? 'approved' : 'rejected'}`;
  const { report, view } = await verifyWithView(bundle, context);
  if (!view) throw verificationFailed(report, consequence);
  const { manifest, ferryJson, ferryJsonDigest } = view;
  if (manifest === undefined || ferryJson === undefined || ferryJsonDigest === undefined) {
    throw new FerryError('BUNDLE_INVALID', `${bundle} is a plain OCI layout without ${BUNDLE_FILES.manifest}; ${consequence}: a decision is signed over ferry.json`, { bundle });
  }
  if (manifest.index === undefined) {
    throw new FerryError(
      'BUNDLE_INVALID',
      `${bundle}: its ${BUNDLE_FILES.manifest} does not pin ${BUNDLE_FILES.index} (made by a Ferry before issue 14); ${consequence}: a signature over ${BUNDLE_FILES.manifest} would not cover ${BUNDLE_FILES.index}. Export it again with this Ferry`,
      { bundle },
    );
  }
  // Verification checks the pin; checked again here against the very bytes the view holds, since signing vouches for them.
  if (manifest.index.digest !== view.indexDigest || manifest.index.size !== view.index.bytes.length) {
    throw new FerryError('BUNDLE_INVALID', `${bundle}: ${BUNDLE_FILES.index} does not match the pin in ${BUNDLE_FILES.manifest}; ${consequence}`, { bundle });
  }

  const kind: StatementKind = decision === 'approve' ? 'approval' : 'rejection';
  const predicate: ApprovalPredicate = {
    decision,
    reviewer,
    time: new Date().toISOString(),
    note,
    policyDigest: policy?.digest ?? null,
    allowRollback,
  };
  const signed = await signFerryStatement(ferryJson, { privateKey: key.privateKey, keyId: key.keyId }, APPROVAL_PREDICATE_TYPE, predicate);
  // Checked as any reader will check it, with the public key only, before it is written: what lands on the drive verifies.
  verifyFerryJsonSignature(signed, ferryJson, new Map([[key.keyId, createPublicKey(key.privateKey)]]));
  const file = await writeStatement(bundle, statementFileName(key.name, kind, key.keyId), `${JSON.stringify(signed, null, 2)}\n`);

  try {
    catalog.audit(decision, manifest.bundleId, {
      bundle,
      ferryJsonDigest,
      file,
      keyId: key.keyId,
      keyName: key.name,
      reviewer,
      note,
      policyDigest: predicate.policyDigest,
      policyPath: policy?.path ?? null,
      allowRollback,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new FerryError('IO_ERROR', `the ${kind} was written to ${file} in ${bundle}, but could not be recorded in the catalog's audit log: ${reason}`, { bundle, file }, { cause: error });
  }

  const finding: SignatureFinding = { file, keyId: key.keyId, keyName: key.name, kind, ok: true, reviewer, time: predicate.time, allowRollback };
  if (note !== null) finding.note = note;
  if (policy !== undefined) {
    finding.policyDigest = policy.digest;
    // The key's role in that policy, so a front end can say when this decision will not count (a key the policy does not trust as an officer).
    const role = policy.trustedKeys.find((trusted) => trusted.keyId === key.keyId)?.role;
    if (role !== undefined) finding.role = role;
  }
  return finding;
}

/** The statement file is named after the key, so a key file whose name is not a plain key name is refused by name. */
function checkStatementKeyName(name: string, given: string): void {
  try {
    checkKeyName(name);
  } catch {
    throw new FerryError(
      'INVALID_ARGUMENT',
      `the key file ${given} is named ${JSON.stringify(name)}; a decision's file is named after its key, so rename the key to letters, digits, '.', '_' and '-'`,
      {
        key: given,
      },
    );
  }
}
