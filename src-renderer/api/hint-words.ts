/**
 * The app's words for what a person can change after an error: the engine
 * puts a typed hint in `details.hint`; this names the field of the app's forms
 * that fixes it. The CLI words the same hints as flags (src-main/cli/error-words.ts).
 */
import type { ErrorHint } from '../../src-shared/errors.ts';
import { ACCESS_LABELS, RATE_LIMIT_LABEL, REGISTRY_PORT_LABEL, SITE_LABEL } from '../field-labels.ts';

/** Where the registry access fields are, for every hint that points at one. */
const ACCESS_PLACE = 'in the registry access fields (or in Settings → Registries)';

/** The field advice for one hint; a switch over every kind, so a new kind fails typecheck until it is worded here. */
export function hintAsFields(hint: ErrorHint): string {
  switch (hint.kind) {
    case 'credentials':
      return `Enter a “${ACCESS_LABELS.username}” and “${ACCESS_LABELS.password}” for ${hint.host} ${ACCESS_PLACE}, or choose an “${ACCESS_LABELS.authFile}” that holds them.`;
    case 'auth-file-per-registry':
      return `“${ACCESS_LABELS.username}” and “${ACCESS_LABELS.password}” are for one registry, but these images come from several: choose an “${ACCESS_LABELS.authFile}” holding each registry's login, or save a login per registry in Settings → Registries.`;
    case 'mirror-login':
      return `Merging a pull secret writes the mirror's login into it: enter the “${ACCESS_LABELS.username}” and “${ACCESS_LABELS.password}” for ${hint.host} ${ACCESS_PLACE}.`;
    case 'ca-certificate':
      return `Choose the CA certificate that signed the certificate of ${hint.host} as “${ACCESS_LABELS.caCertFile}” ${ACCESS_PLACE}. Only for a test registry: untick “${ACCESS_LABELS.tlsVerify}”.`;
    case 'tls-verify':
      return `The certificate of ${hint.host} is for another name or out of date: type the registry address as its certificate names it. Only for a test registry: untick “${ACCESS_LABELS.tlsVerify}” ${ACCESS_PLACE}.`;
    case 'plain-http':
      return `${hint.host} has no TLS: tick “${ACCESS_LABELS.plainHttp}” ${ACCESS_PLACE}.`;
    case 'site-receipt':
      return `The catalog has no receipt from site “${hint.site}” yet, so nothing says what it already holds: clear “${SITE_LABEL}” to export a full bundle.`;
    case 'keep-source-host':
      return `Images from different registries would land in the same repository under ${hint.registry}. Keeping each source's registry host in the paths separates them; the app has no such option yet, so import these images from separate bundles, or with the command line.`;
    case 'rate-limit':
      return `${hint.host} is throttling Ferry (it asked for fewer requests): set “${RATE_LIMIT_LABEL}” for ${hint.host} in Settings → Registries, or wait for its limit to reset, then try again. Signing in may give a higher limit.`;
    case 'listen-port':
      return `Ferry's registry cannot listen at ${hint.address}: another program uses that port, or ports below 1024 need privileges. Type another “${REGISTRY_PORT_LABEL}” (above 1023; 0 picks a free one).`;
    case 'registry-limits':
      return [
        'Press “Check registry” on the Target step to see what the registry cannot take.',
        ...(hint.maxNestedPaths !== undefined ? [`Choose “Keep paths at most ${hint.maxNestedPaths} levels deep” there.`] : []),
        ...(hint.createRepositories === true ? ['Choose “Create missing repositories” there.'] : []),
      ].join(' ');
    default:
      return hint satisfies never;
  }
}
