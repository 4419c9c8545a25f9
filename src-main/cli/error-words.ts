/**
 * The CLI's words for what a person can change after an error: the engine
 * puts a typed hint in `details.hint` and says no flag names; this is the one
 * place that turns each hint into the flags that fix it. The app words the
 * same hints as fields of its forms (src-renderer/api/hint-words.ts).
 */
import { errorHint, type ErrorEnvelope, type ErrorHint } from '../../src-shared/errors.ts';

/** The flag advice for one hint; a switch over every kind, so a new kind fails typecheck until it is worded here. */
export function hintAsFlags(hint: ErrorHint): string {
  switch (hint.kind) {
    case 'credentials':
      return `give credentials for ${hint.host} with --creds USER:PASSWORD, or an auth file that holds them with --authfile FILE`;
    case 'auth-file-per-registry':
      return "--creds is for one registry; put each registry's login in an auth file and pass it with --authfile FILE";
    case 'mirror-login':
      return `--pull-secret writes the login of the mirror into the secret: add --creds USER:PASSWORD for ${hint.host}`;
    case 'ca-certificate':
      return `trust the CA that signed the certificate of ${hint.host}: --ca-cert FILE, or FILE saved as ${hint.host}/ca.crt in a certs.d folder (--cert-dir DIR); --tls-verify=false skips the check, for a test registry only`;
    case 'tls-verify':
      return `use the name on the certificate of ${hint.host}; --tls-verify=false skips the check, for a test registry only`;
    case 'plain-http':
      return `add --plain-http to reach ${hint.host} over HTTP`;
    case 'site-receipt':
      return `add a receipt from the site first (ferry receipt add FILE --site ${hint.site}), or leave out --site for a full bundle`;
    case 'keep-source-host':
      return `add --keep-registry-host to keep each source's registry host in its path under ${hint.registry}`;
    default:
      return hint satisfies never;
  }
}

/** The lines the CLI prints for a failed command: the engine's message, then the flag advice when the error carries a hint. */
export function errorLines(command: string, envelope: ErrorEnvelope): string {
  const hint = errorHint(envelope.details);
  return `ferry ${command}: ${envelope.message}\n${hint ? `  hint: ${hintAsFlags(hint)}\n` : ''}`;
}
