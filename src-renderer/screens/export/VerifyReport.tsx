/** The verify report both wizards show: one line per check, then counts. */
import type { VerifyJobResult } from '../../../src-shared/api/contract.ts';
import { formatBytes } from '../../../src-shared/units.ts';

/** The verify report: one line per check, then counts. */
export function VerifyReport({ result }: { result: VerifyJobResult }) {
  return (
    <div className={result.ok ? 'notice notice-ok' : 'notice notice-error'} role="status">
      <p className="notice-title">{result.ok ? 'Bundle verified: every check passed.' : 'Verification failed: do not carry this bundle.'}</p>
      <ul className="checks">
        {result.checks.map((c) => (
          <li key={c.id}>
            {c.ok ? 'Passed' : 'Failed'}: {c.title}
            {c.problems.length > 0 && (
              <ul>
                {c.problems.map((p) => (
                  <li key={p}>{p}</li>
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
  );
}
