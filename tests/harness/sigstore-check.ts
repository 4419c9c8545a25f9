/**
 * @sigstore/verify used on its own, as an independent verifier of the
 * statements Ferry writes: trust is one public key (read from its `.pub`
 * file) under its hint, and no transparency log, certificate or timestamp is
 * asked for, as for Ferry's offline signatures. It throws when the signature
 * does not verify.
 */
import type { KeyObject } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { Verifier, toSignedEntity, type TrustMaterial } from '@sigstore/verify';

/** Verifies a serialized Sigstore bundle with @sigstore/verify alone, trusting `publicKey` under `hint`. */
export function sigstoreVerify(json: unknown, publicKey: KeyObject, hint: string): void {
  const trust: TrustMaterial = {
    certificateAuthorities: [],
    timestampAuthorities: [],
    tlogs: [],
    ctlogs: [],
    publicKey: (asked) => {
      if (asked !== hint) throw new Error(`unknown key ${asked}`);
      return { publicKey, validFor: () => true };
    },
  };
  new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(toSignedEntity(bundleFromJSON(json)));
}
