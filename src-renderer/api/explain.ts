/** Plain-language explanations of engine error codes: what happened and what to do next. */
import { errorHint, FerryError, type ErrorCode, type ErrorEnvelope } from '../../src-shared/errors.ts';
import { hintAsFields } from './hint-words.ts';
import { ApiError } from './client.ts';

/**
 * One sentence of advice per code, matching what each code means (src-shared/errors.ts);
 * the engine's own message is always shown beside it, and a hint's field advice
 * (hint-words.ts) replaces it when the error carries one.
 */
const ADVICE: Record<ErrorCode, string> = {
  INVALID_REFERENCE: 'An image reference is not written correctly. Check it looks like registry.example.com/repository:tag.',
  INVALID_DIGEST: 'A digest is not written correctly. It should look like sha256: followed by 64 hexadecimal characters.',
  INVALID_ARGUMENT: 'Something entered in this step is not valid. Correct the value and try again.',
  INVALID_CONTENT: 'A file Ferry read is malformed (an image set, image list, receipt, settings or journal). The message names the file and the part to correct.',
  INVALID_MANIFEST: 'A registry returned a manifest Ferry cannot read. The image may be damaged at its source.',
  BUNDLE_INVALID: 'The bundle is damaged, incomplete or not a Ferry bundle. Do not import it; export it again on the connected side.',
  BUNDLE_CONFLICT:
    'This bundle carries the id of another bundle the catalog already knows, but its contents differ. It was refused and recorded as a conflict; ask who made it, and export it again on the connected side.',
  POLICY_REFUSED:
    "The bundle is intact, but this site's policy does not let it in: the message names each failing rule (a missing signature or approval, its age, a blocked image or a target outside the allowed ones). Nothing was written; ask an officer to review it.",
  UNSUPPORTED_MEDIA_TYPE: 'An image uses a format Ferry does not carry.',
  MANIFEST_TOO_LARGE: 'A manifest is larger than Ferry accepts, which usually means it is not a real image.',
  DIGEST_MISMATCH: 'Some content does not match its checksum. The media or the transfer corrupted it; do not trust this copy.',
  SIZE_MISMATCH: 'Some content has the wrong size. The copy is truncated or altered; do not trust it.',
  UNAUTHORIZED: 'The registry or Ferry refused the credentials. Check the user name and password, or reopen Ferry from the address it printed.',
  DENIED: 'The registry refused access for this account. Ask its administrator for push or pull rights.',
  NOT_FOUND: 'Something was not found: check the image reference, the tag, or the folder path.',
  REGISTRY_ERROR: 'The registry answered with an error. Try again, or check the registry logs.',
  NETWORK_ERROR: 'The registry or the engine cannot be reached. Check the address, the port and whether it uses plain HTTP.',
  TLS_ERROR: 'The secure connection failed. Tick "plain HTTP" for a registry without TLS, or add its CA certificate.',
  INSECURE_REDIRECT: 'The registry redirected to an insecure address, which Ferry refuses.',
  CREDENTIALS_ERROR: 'The credentials could not be read or used. Check the user name and password, the auth file, or save the login again in Settings.',
  PLATFORM_NOT_FOUND: 'The image does not exist for the platform asked for.',
  CANCELLED: 'The job was cancelled. You can start it again; finished work is kept.',
  IO_ERROR: 'A file could not be read or written. Check the folder exists, is writable and has free space.',
  INTERNAL: 'Something unexpected went wrong inside Ferry. The message below has the details.',
};

/** The advice for an error code. */
export function adviceFor(code: ErrorCode): string {
  // The code comes over the wire: an engine newer than this page may send one it does not know yet.
  return Object.hasOwn(ADVICE, code) ? ADVICE[code] : ADVICE.INTERNAL;
}

/** What to do next about an error: its hint worded as the field to change, else the advice for its code. */
export function nextStepFor(error: ErrorEnvelope): string {
  const hint = errorHint(error.details);
  return hint ? hintAsFields(hint) : adviceFor(error.code);
}

/** Turns anything a call rejected with into the wire envelope screens store. */
export function envelopeOf(error: unknown): ErrorEnvelope {
  if (error instanceof ApiError) return error.toEnvelope();
  // A form's own check (the settings' request rate) refuses with a FerryError before anything is sent.
  if (error instanceof FerryError) return error.toEnvelope();
  if (error instanceof Error) return { code: 'INTERNAL', message: error.message };
  return { code: 'INTERNAL', message: String(error) };
}
