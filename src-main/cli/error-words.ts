/**
 * The CLI's words for what a person can change after an error: the engine
 * puts a typed hint in `details.hint` and says no flag names; this is the one
 * place that turns each hint into the flags that fix it. The app words the
 * same hints as fields of its forms (src-renderer/api/hint-words.ts).
 * The message itself keeps its lines and is made terminal-safe by the
 * stream it is written to (terminal-text.ts).
 */
import { errorHint, type ErrorEnvelope, type ErrorHint } from '../../src-shared/errors.ts';
import { terminalSafe } from './terminal-text.ts';

/** The flag advice for one hint; a switch over every kind, so a new kind fails typecheck until it is worded here. */
export function hintAsFlags(hint: ErrorHint): string {
  // Hosts and site names come from references, bundles and registries: shown escaped.
  const host = 'host' in hint ? terminalSafe(hint.host) : '';
  switch (hint.kind) {
    case 'credentials':
      return `give credentials for ${host}: --username USER --password-stdin (the password on standard input), --creds-file FILE (USER:PASSWORD, chmod 600) or --creds USER:PASSWORD, or an auth file that holds them with --authfile FILE`;
    case 'auth-file-per-registry':
      return "--creds is for one registry; put each registry's login in an auth file and pass it with --authfile FILE";
    case 'mirror-login':
      return `--pull-secret writes the login of the mirror into the secret: add --username USER --password-stdin, --creds-file FILE or --creds USER:PASSWORD for ${host}`;
    case 'ca-certificate':
      return `trust the CA that signed the certificate of ${host}: --ca-cert FILE, or FILE saved as ${host}/ca.crt in a certs.d folder (--cert-dir DIR); --tls-verify=false skips the check, for a test registry only`;
    case 'tls-verify':
      return `use the name on the certificate of ${host}; --tls-verify=false skips the check, for a test registry only`;
    case 'plain-http':
      return `add --plain-http to reach ${host} over HTTP`;
    case 'site-receipt':
      return `add a receipt from the site first (ferry receipt add FILE --site ${terminalSafe(hint.site)}), or leave out --site for a full bundle`;
    case 'keep-source-host':
      return `add --keep-registry-host to keep each source's registry host in its path under ${terminalSafe(hint.registry)}`;
    case 'rate-limit':
      return `${host} throttles Ferry: send fewer requests a second with --rate-limit N/s (e.g. --rate-limit 5/s) and fewer at once with --concurrency N, wait for its limit to reset, or sign in for a higher one (--authfile FILE, or --username USER --password-stdin)`;
    case 'listen-port':
      return `${terminalSafe(hint.address)} cannot be listened on: give --listen HOST:PORT with another port (above 1023; port 0 picks a free one)`;
    case 'registry-limits':
      return [
        ...(hint.maxNestedPaths !== undefined ? [`add --max-nested-paths ${hint.maxNestedPaths} to fold deeper repository paths`] : []),
        ...(hint.createRepositories === true ? ['add --create-repositories to create the missing repositories first'] : []),
        '--skip-registry-check skips this check for a registry that answers it wrongly',
      ].join('; ');
    default:
      return hint satisfies never;
  }
}

/**
 * An engine message as lines under its first: a message may list problems on
 * lines of their own, but a name in it may carry a newline too, so every
 * further line starts indented and none can pass for a line of Ferry's own.
 */
export function messageLines(message: string): string {
  return message.replace(/\n(?!\s)/g, '\n  ');
}

/** The lines the CLI prints for a failed command: the engine's message, then the flag advice when the error carries a hint. */
export function errorLines(command: string, envelope: ErrorEnvelope): string {
  const hint = errorHint(envelope.details);
  return `ferry ${command}: ${messageLines(envelope.message)}\n${hint ? `  hint: ${hintAsFlags(hint)}\n` : ''}`;
}
