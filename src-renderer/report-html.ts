/**
 * The officer's saved report (issue 17): one self-contained HTML file — its
 * styles inline, no script, no link outside it — of what the inspector and
 * the Review screen showed: the verification check by check, the bundle's
 * facts, plan notes, signatures and approvals, the policy's verdict, tag
 * changes and every image with its platforms, layers and labels, digests in
 * full. Every value from the bundle is escaped; nothing in it is markup.
 */
import type { ImageDetail, PolicyVerdict, ReferrerPresence, SignatureFinding, TagChange, VerifyResult } from '../src-shared/api/contract.ts';
import { formatBytes } from '../src-shared/units.ts';
import { escapeHtml } from '../src-shared/html-text.ts';

/** What a report holds; every part but the title and bundle is optional. */
export interface ReportInput {
  title: string;
  bundle: string;
  /** The verification as run, or `passed` when the report is of a bundle only a passed verification could give. */
  verification?: VerifyResult | 'passed';
  /** The verification's headline in the side's words ("do not import this bundle" on the disconnected side). */
  verdict?: string;
  facts?: Array<[string, string]>;
  notes?: readonly string[];
  signatures?: readonly SignatureFinding[];
  policy?: PolicyVerdict;
  changes?: readonly TagChange[];
  images?: readonly ImageDetail[];
  /** Images the bundle holds beyond those listed. */
  moreImages?: number;
  referrers?: readonly ReferrerPresence[];
}

const e = escapeHtml;

function table(caption: string, headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const head = headers.map((h) => `<th scope="col">${e(h)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${e(cell)}</td>`).join('')}</tr>`).join('\n');
  return `<table><caption>${e(caption)}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function list(items: readonly string[]): string {
  return `<ul>${items.map((item) => `<li>${e(item)}</li>`).join('')}</ul>`;
}

function verificationPart(input: ReportInput): string {
  const v = input.verification;
  if (v === undefined) return '';
  if (v === 'passed') return `<h2>Verification</h2><p>${e(input.verdict ?? 'Every check passed: every byte matched its digest.')}</p>`;
  const checks = v.checks.map((c) => `<li>${c.ok ? 'Passed' : 'Failed'}: ${e(c.title)}${c.problems.length > 0 ? list(c.problems) : ''}</li>`).join('');
  return `<h2>Verification</h2><p><strong>${e(input.verdict ?? (v.ok ? 'Every check passed.' : 'Verification failed.'))}</strong></p><ul>${checks}</ul><p>${v.images} images, ${v.blobs} blobs, ${e(formatBytes(v.bytes))}.</p>`;
}

function signaturesPart(signatures: readonly SignatureFinding[] | undefined): string {
  if (signatures === undefined) return '';
  if (signatures.length === 0) return '<h2>Signatures and approvals</h2><p>No signatures or approvals: the bundle is unsigned.</p>';
  const rows = signatures.map((s) => [
    s.file,
    s.kind ?? 'unreadable',
    s.keyName ?? 'unknown key',
    s.keyId,
    s.role ?? 'not trusted by the policy',
    s.ok ? 'Verified' : `Failed: ${s.problem ?? 'did not verify'}`,
    [s.reviewer, s.time, s.note].filter(Boolean).join(' · '),
  ]);
  return `<h2>Signatures and approvals</h2>${table(`Signatures (${signatures.length})`, ['Statement', 'Kind', 'Key', 'Key fingerprint', 'Role', 'Checked', 'Reviewer, time and note'], rows)}`;
}

function policyPart(policy: PolicyVerdict | undefined): string {
  if (policy === undefined) return '';
  const rows = policy.rules.map((r) => [r.title, r.ok ? 'Pass' : 'Fail', r.details.join('; ')]);
  return `<h2>Site policy</h2><p>${e(policy.path)} (${e(policy.digest)}): ${policy.ok ? 'passed' : 'failed'}</p>${table('Policy rules', ['Rule', 'Result', 'Details'], rows)}`;
}

function changesPart(changes: readonly TagChange[] | undefined): string {
  if (changes === undefined) return '';
  const rows = changes.map((c) => [c.repository, c.tag, c.status, c.digest, c.previous ?? '']);
  return `<h2>Tag changes on the target</h2>${table(`Tag changes (${changes.length})`, ['Repository', 'Tag', 'Change', 'Digest', 'Digest before'], rows)}`;
}

function imagePart(image: ImageDetail): string {
  const platforms = image.platforms
    .map((p) => {
      const name = p.platform ?? 'no platform given';
      const layers = table(
        `Layers of ${name}`,
        ['Digest', 'Size', 'Media type'],
        p.layers.map((l) => [l.digest, `${formatBytes(l.size)}${l.omitted ? ' (left out: the site has it)' : ''}`, l.mediaType]),
      );
      const labels =
        p.labels === undefined
          ? `<p>Labels: ${e(p.labelsNote ?? 'not read (open the image in the app to read them)')}</p>`
          : Object.keys(p.labels).length === 0
            ? '<p>Labels: none.</p>'
            : table(`Labels of ${name}`, ['Label', 'Value'], Object.entries(p.labels));
      const config = p.config ? `<br>Config: <code>${e(p.config.digest)}</code> (${e(formatBytes(p.config.size))}, ${e(p.config.mediaType)})` : '';
      return `<h4>${e(name)}</h4><p>Manifest: <code>${e(p.digest)}</code> (${e(p.mediaType)})${config}</p>${layers}${labels}`;
    })
    .join('\n');
  return `<section><h3>${e(image.source)}</h3><p>Name in the bundle: ${e(image.name)}<br>Digest: <code>${e(image.digest)}</code> (${e(image.mediaType)})</p>${platforms}</section>`;
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:2rem;color:#111;background:#fff;line-height:1.4}
code,td{overflow-wrap:anywhere;word-break:break-word}code{font-family:ui-monospace,Menlo,Consolas,monospace}
table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}th,td{border:1px solid #999;padding:.2rem .4rem;text-align:left;vertical-align:top}
caption{text-align:left;font-weight:600}section{border-top:1px solid #ccc;margin-top:1rem}tr{page-break-inside:avoid}`;

/** The whole report as one HTML document (no script, styles inline), dated `now` in the reader's local time. */
export function reportHtml(input: ReportInput, now: Date = new Date()): string {
  const facts = input.facts && input.facts.length > 0 ? `<dl>${input.facts.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join('')}</dl>` : '';
  const notes = input.notes && input.notes.length > 0 ? `<h2>Plan notes</h2>${list(input.notes)}` : '';
  const images =
    input.images && input.images.length > 0
      ? `<h2>Images (${input.images.length}${input.moreImages ? ` of ${input.images.length + input.moreImages}` : ''})</h2>${input.images.map(imagePart).join('\n')}`
      : '';
  const referrers =
    input.referrers && input.referrers.length > 0
      ? `<h2>Signatures, attestations and SBOMs carried</h2>${table(
          'Referrers per image',
          ['Image', 'Digest', 'Signature', 'Attestation', 'SBOM'],
          input.referrers.map((r) => [r.image, r.digest, r.signature ? 'Yes' : 'No', r.attestation ? 'Yes' : 'No', r.sbom ? 'Yes' : 'No']),
        )}`
      : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${e(input.title)}</title><style>${STYLE}</style></head>
<body><h1>${e(input.title)}</h1>
<p>Bundle: <code>${e(input.bundle)}</code><br>Report made ${e(now.toLocaleString())} (${e(now.toISOString())}) by Ferry.</p>
${facts}
${verificationPart(input)}
${notes}
${signaturesPart(input.signatures)}
${policyPart(input.policy)}
${changesPart(input.changes)}
${images}
${referrers}
</body></html>
`;
}

/** A file name for the report of a bundle: `ferry-report-<bundle id's start>-<date>.html`. */
export function reportFileName(bundleId: string | undefined, now: Date = new Date()): string {
  const id = (bundleId ?? 'bundle').replace(/[^A-Za-z0-9-]/g, '').slice(0, 12) || 'bundle';
  const date = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
  return `ferry-report-${id}-${date}.html`;
}
