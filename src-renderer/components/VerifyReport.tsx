/**
 * The verify report: one line per check with its problems, then counts. Its
 * headline speaks the side's language (issue 17): on the connected side a
 * failed bundle is one not to carry; on the disconnected side, one not to
 * import. On the disconnected side the report can be saved and printed, so an
 * officer files a failure (a damaged blob is named with its images) as well as a pass.
 */
import type { VerifyResult } from '../../src-shared/api/contract.ts';
import { formatBytes } from '../format.ts';
import { reportFileName } from '../report-html.ts';
import { ReportActions } from './ReportActions.tsx';

/** Which side of the gap the report is read on. */
export type VerifySide = 'export' | 'import';

/** The headline of a report in the side's words. */
export function verifyHeadline(ok: boolean, side: VerifySide): string {
  if (ok) return 'Bundle verified: every check passed.';
  return side === 'export' ? 'Verification failed: do not carry this bundle.' : 'Verification failed: do not import this bundle.';
}

/** The report; `bundle` (the folder verified) adds Save report and Print on the disconnected side. */
export function VerifyReport({ result, side = 'export', bundle }: { result: VerifyResult; side?: VerifySide; bundle?: string }) {
  return (
    <>
      <div className={result.ok ? 'notice notice-ok' : 'notice notice-error'} role="status">
        <p className="notice-title">{verifyHeadline(result.ok, side)}</p>
        <ul className="checks">
          {result.checks.map((c) => (
            <li key={c.id}>
              {c.ok ? 'Passed' : 'Failed'}: {c.title}
              {c.problems.length > 0 && (
                <ul>
                  {c.problems.map((p) => (
                    <li key={p} className="problem-text">
                      {p}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ul>
        <p>
          {result.images} images, {result.blobs} blobs, {formatBytes(result.bytes)}.
        </p>
      </div>
      {side === 'import' && bundle !== undefined && !result.ok && (
        <ReportActions
          fileName={reportFileName(undefined)}
          build={() => ({
            title: 'Ferry verification report',
            bundle,
            verification: result,
            verdict: verifyHeadline(result.ok, side),
            ...(result.trust ? { signatures: result.trust.signatures } : {}),
          })}
        />
      )}
    </>
  );
}
