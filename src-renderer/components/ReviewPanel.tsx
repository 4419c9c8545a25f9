/**
 * What an officer reads before letting a bundle in (issue 14, "The officer's
 * screen"): the verdict, signers and approvals, the policy rule by rule, what
 * the bundle changes on this site, its sources, notes and referrers. Every
 * state is said in words as well as shown in color, so a moved tag or a
 * failed rule reads the same to a screen reader and in grayscale.
 */
import type { PolicyRuleResult, ReviewReport, SignatureFinding, TagChange } from '../../src-shared/api/contract.ts';
import { formatBytes } from '../../src-shared/units.ts';
import { formatLocalTime } from '../format.ts';
import { reportFileName, type ReportInput } from '../report-html.ts';
import { useInspector } from '../stores/inspector-store.ts';
import { PlanNotes } from './BundleInspector.tsx';
import { Digest } from './Digest.tsx';
import { ImageDetails } from './ImageDetails.tsx';
import { ReportActions } from './ReportActions.tsx';

/** The verdict in one notice: push allowed, or why not. */
function Verdict({ report }: { report: ReviewReport }) {
  if (report.pushAllowed) {
    return (
      <div role="status" className="notice notice-ok">
        <p className="notice-title">Push allowed</p>
        <p>{report.trust.summary}</p>
      </div>
    );
  }
  return (
    <div role="status" className="notice notice-error">
      <p className="notice-title">Push blocked</p>
      <p>{report.blockedReason ?? report.trust.summary}</p>
    </div>
  );
}

function Facts({ report }: { report: ReviewReport }) {
  const facts: Array<[string, string, boolean?]> = [
    ['Bundle', report.bundleId ?? report.bundle, true],
    ['Channel', report.channel ?? '—'],
    ['Sequence', report.sequence === undefined ? '—' : String(report.sequence)],
    ['Created', report.created ? formatLocalTime(report.created) : '—'],
    ['Exported by', report.exporter ? `${report.exporter.user}@${report.exporter.host} (Ferry ${report.exporter.ferryVersion})` : '—'],
    ['Size', formatBytes(report.bytes)],
  ];
  return (
    <dl className="facts" aria-label="Bundle under review">
      {facts.map(([term, value, mono]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd className={mono ? 'mono' : undefined}>{value}</dd>
        </div>
      ))}
      {report.ferryJsonDigest && (
        <div>
          <dt>ferry.json digest</dt>
          <dd>
            <Digest value={report.ferryJsonDigest} of="ferry.json" />
          </dd>
        </div>
      )}
    </dl>
  );
}

const KIND_WORDS = { export: 'Export signature', approval: 'Approval', rejection: 'Rejection' } as const;

/** Who signed, approved or rejected: one row per statement file, a failed one with its problem. */
function Signatures({ findings }: { findings: readonly SignatureFinding[] }) {
  if (findings.length === 0) return <p>No signatures or approvals: the bundle is unsigned.</p>;
  return (
    <table>
      <caption>Signatures and approvals ({findings.length})</caption>
      <thead>
        <tr>
          <th scope="col">Statement</th>
          <th scope="col">Key</th>
          <th scope="col">Role</th>
          <th scope="col">Checked</th>
          <th scope="col">Reviewer, time and note</th>
        </tr>
      </thead>
      <tbody>
        {findings.map((f) => (
          <tr key={f.file} className={f.ok ? undefined : 'row-bad'}>
            <td>
              {f.kind ? KIND_WORDS[f.kind] : 'Unreadable'}
              <div className="hint mono">{f.file}</div>
            </td>
            <td>
              {f.keyName ?? 'unknown key'}
              {f.keyId && (
                <div className="hint">
                  <Digest value={f.keyId} of={`the key of ${f.file}`} />
                </div>
              )}
            </td>
            <td>{f.role ?? 'not trusted by the policy'}</td>
            <td>{f.ok ? 'Verified' : `Failed: ${f.problem ?? 'did not verify'}`}</td>
            <td>
              {[f.reviewer, f.time ? formatLocalTime(f.time) : undefined, f.note ? `“${f.note}”` : undefined, f.allowRollback ? 'allows a rollback' : undefined].filter(Boolean).join(' · ') || '—'}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The policy's verdict rule by rule, in POLICY_RULE_ORDER as the engine sent it. */
function PolicyRules({ report }: { report: ReviewReport }) {
  const policy = report.trust.policy;
  if (!policy) return <p>This site has no policy: any bundle that verifies may be pushed. Write one under Settings.</p>;
  return (
    <table className="rules">
      <caption>
        Site policy <span className="mono">{policy.path}</span>: {policy.ok ? 'passed' : 'failed'}
      </caption>
      <thead>
        <tr>
          <th scope="col">Rule</th>
          <th scope="col">Result</th>
          <th scope="col">Details</th>
        </tr>
      </thead>
      <tbody>
        {policy.rules.map((rule: PolicyRuleResult) => (
          <tr key={rule.id} className={rule.ok ? undefined : 'row-bad'}>
            <th scope="row">{rule.title}</th>
            <td>{rule.ok ? '✓ Pass' : '✗ Fail'}</td>
            <td>
              {rule.details.length === 0 ? (
                '—'
              ) : (
                <ul className="plain">
                  {rule.details.map((detail) => (
                    <li key={detail}>{detail}</li>
                  ))}
                </ul>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const STATUS_WORDS = { added: 'Added', moved: 'Moved', unchanged: 'Unchanged' } as const;
/** Rows a long table shows (moved tags always all of them, first); the rest is counted, so a 10,000-image bundle stays quick to read. */
export const REVIEW_ROWS_SHOWN = 300;
const STATUS_ORDER = { moved: 0, added: 1, unchanged: 2 } as const;

/** The line under a cut table: how many rows are not shown. */
function MoreRows({ hidden, what }: { hidden: number; what: string }) {
  if (hidden <= 0) return null;
  return (
    <p className="hint">
      {hidden} more {what} not shown.
    </p>
  );
}

/** Tags added, moved and unchanged; a moved row is highlighted and says old → new in words. */
function TagChanges({ changes }: { changes: readonly TagChange[] }) {
  if (changes.length === 0) return <p>The bundle sets no tags on this target.</p>;
  const moved = changes.filter((c) => c.status === 'moved').length;
  const added = changes.filter((c) => c.status === 'added').length;
  const shown = [...changes].sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status]).slice(0, Math.max(moved, REVIEW_ROWS_SHOWN));
  return (
    <>
      <table>
        <caption>
          Tag changes on the target: {added} added, {moved} moved, {changes.length - added - moved} unchanged
        </caption>
        <thead>
          <tr>
            <th scope="col">Repository</th>
            <th scope="col">Tag</th>
            <th scope="col">Change</th>
            <th scope="col">Digest</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((c) => (
            <tr key={`${c.repository}:${c.tag}`} className={c.status === 'moved' ? 'row-moved' : undefined} title={c.source}>
              <td className="mono">{c.repository}</td>
              <td className="mono">{c.tag}</td>
              <td>{c.status === 'moved' ? <strong>⚠ Moved</strong> : STATUS_WORDS[c.status]}</td>
              <td>
                {c.status === 'moved' && c.previous ? (
                  <>
                    <span aria-hidden="true">
                      <code className="digest">{c.previous}</code> → <code className="digest">{c.digest}</code>
                    </span>
                    <span className="visually-hidden">{`from ${c.previous} to ${c.digest}`}</span>
                  </>
                ) : (
                  <Digest value={c.digest} of={`${c.repository}:${c.tag}`} />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <MoreRows hidden={changes.length - shown.length} what="added or unchanged tags" />
    </>
  );
}

function Sources({ report }: { report: ReviewReport }) {
  if (report.sources.length === 0) return null;
  return (
    <table>
      <caption>Source registries</caption>
      <thead>
        <tr>
          <th scope="col">Registry</th>
          <th scope="col">Images</th>
          <th scope="col">Size</th>
        </tr>
      </thead>
      <tbody>
        {report.sources.map((s) => (
          <tr key={s.registry}>
            <td className="mono">{s.registry}</td>
            <td className="num">{s.images}</td>
            <td className="num">{formatBytes(s.bytes)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const yesNo = (present: boolean): string => (present ? 'Yes' : 'No');

function Referrers({ report }: { report: ReviewReport }) {
  if (report.referrers.length === 0) return <p>No image carries signatures, attestations or SBOMs in this bundle.</p>;
  const shown = report.referrers.slice(0, REVIEW_ROWS_SHOWN);
  return (
    <>
      <table>
        <caption>Referrers carried with each image</caption>
        <thead>
          <tr>
            <th scope="col">Image</th>
            <th scope="col">Signature</th>
            <th scope="col">Attestation</th>
            <th scope="col">SBOM</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((r) => (
            <tr key={`${r.image}@${r.digest}`}>
              <td>
                <span className="mono">{r.image}</span>
                <br />
                <code className="digest">{r.digest}</code>
              </td>
              <td>{yesNo(r.signature)}</td>
              <td>{yesNo(r.attestation)}</td>
              <td>{yesNo(r.sbom)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <MoreRows hidden={report.referrers.length - shown.length} what="images" />
    </>
  );
}

/** What the saved report of a review holds: the verification (a review is only made of a verified bundle), facts, notes, signatures, policy, tag changes, images. */
function reviewReportInput(report: ReviewReport): ReportInput {
  const { imagesForReport, more } = useInspector.getState();
  const facts: Array<[string, string]> = [
    ['Bundle id', report.bundleId ?? '—'],
    ['ferry.json digest', report.ferryJsonDigest ?? '—'],
    ['Channel', report.channel ?? '—'],
    ['Sequence', report.sequence === undefined ? '—' : String(report.sequence)],
    ['Created', report.created ? formatLocalTime(report.created) : '—'],
    ['Exported by', report.exporter ? `${report.exporter.user}@${report.exporter.host} (Ferry ${report.exporter.ferryVersion})` : '—'],
    ['Size', formatBytes(report.bytes)],
    ['Verdict', report.pushAllowed ? `Push allowed: ${report.trust.summary}` : `Push blocked: ${report.blockedReason ?? report.trust.summary}`],
  ];
  return {
    title: 'Ferry review report',
    bundle: report.bundle,
    verification: 'passed',
    verdict: 'Bundle verified: every check passed (every byte matched its digest) before this review.',
    facts,
    notes: report.notes,
    signatures: report.trust.signatures,
    ...(report.trust.policy ? { policy: report.trust.policy } : {}),
    changes: report.changes,
    images: imagesForReport(),
    moreImages: more,
    referrers: report.referrers,
  };
}

/** The whole review of one bundle for one target, read only; the decision form sits below it. */
export function ReviewPanel({ report }: { report: ReviewReport }) {
  return (
    <>
      <Verdict report={report} />
      <Facts report={report} />
      <h3>Signers and approvals</h3>
      <Signatures findings={report.trust.signatures} />
      <h3>Policy</h3>
      <PolicyRules report={report} />
      <h3>What changes on this site</h3>
      <TagChanges changes={report.changes} />
      <Sources report={report} />
      <PlanNotes notes={report.notes} />
      <h3>Signatures, attestations and SBOMs</h3>
      <Referrers report={report} />
      <h3>Images in detail</h3>
      <p className="hint">Full digests; open an image for its platforms, layers and labels, read from the verified bundle.</p>
      <ImageDetails bundle={report.bundle} />
      <ReportActions build={() => reviewReportInput(report)} fileName={reportFileName(report.bundleId)} />
    </>
  );
}
