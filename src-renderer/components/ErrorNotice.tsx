/** An error in plain language: what to do next and the engine's message; the error's code only under "Details for support" (issue 17: no internal names in view). */
import type { ErrorEnvelope } from '../../src-shared/errors.ts';
import { nextStepFor } from '../api/explain.ts';

/** Shows an error envelope as an alert, so screen readers announce it; the title is the next step (the hint's field, else the code's advice). */
export function ErrorNotice({ error }: { error: ErrorEnvelope | null | undefined }) {
  if (!error) return null;
  return (
    <div role="alert" className="notice notice-error">
      <p className="notice-title">{nextStepFor(error)}</p>
      <p>{error.message}</p>
      <details className="error-details">
        <summary>Details for support</summary>
        <span className="code">({error.code})</span>
      </details>
    </div>
  );
}
