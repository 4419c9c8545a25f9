/** An error in plain language: what to do next, the engine's message and its code. */
import type { ErrorEnvelope } from '../../src-shared/errors.ts';
import { nextStepFor } from '../api/explain.ts';

/** Shows an error envelope as an alert, so screen readers announce it; the title is the next step (the hint's field, else the code's advice). */
export function ErrorNotice({ error }: { error: ErrorEnvelope | null | undefined }) {
  if (!error) return null;
  return (
    <div role="alert" className="notice notice-error">
      <p className="notice-title">{nextStepFor(error)}</p>
      <p>
        {error.message} <span className="code">({error.code})</span>
      </p>
    </div>
  );
}
