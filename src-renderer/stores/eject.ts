/** "Safely remove drive" as both wizards run it (export Done, import Done): one state shape and one call, each wizard keeping its own state. */
import type { ApiClient } from '../../src-shared/api/contract.ts';
import type { ErrorEnvelope } from '../../src-shared/errors.ts';
import { envelopeOf } from '../api/explain.ts';

/** Where a removal stands; each wizard keeps its own, so one wizard's removal never shows in the other. */
export type EjectState = { state: 'idle' } | { state: 'ejecting'; path: string } | { state: 'ejected'; path: string } | { state: 'failed'; path: string; error: ErrorEnvelope };

/** Ejects the drive mounted at `path` (`drives:eject`), moving a wizard's `eject` state along; a click while one runs does nothing. */
export async function ejectDriveInto(path: string, get: () => { eject: EjectState }, set: (patch: { eject: EjectState }) => void, client: () => ApiClient): Promise<void> {
  if (get().eject.state === 'ejecting') return;
  set({ eject: { state: 'ejecting', path } });
  try {
    await client()['drives:eject']({ path });
    set({ eject: { state: 'ejected', path } });
  } catch (error) {
    set({ eject: { state: 'failed', path, error: envelopeOf(error) } });
  }
}
