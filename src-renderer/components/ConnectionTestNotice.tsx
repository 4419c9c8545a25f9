/** The outcome of "Test connection": works, or failed with the engine's words and the field to change. */
import type { RegistryTestResult } from '../../src-shared/api/contract.ts';
import { hintAsFields } from '../api/hint-words.ts';

/** Shows a registry test's result as a status, with the hint's field advice when the engine gave one. */
export function ConnectionTestNotice({ test }: { test: RegistryTestResult | null | undefined }) {
  if (!test) return null;
  return (
    <div role="status" className={test.ok ? 'notice notice-ok' : 'notice notice-error'}>
      <p className="notice-title">{test.ok ? 'Connection works.' : 'Connection failed.'}</p>
      <p>{test.message}</p>
      {test.hint && <p>{hintAsFields(test.hint)}</p>}
    </div>
  );
}
