/**
 * The labels of the form fields an error hint can point at, defined once: the
 * forms show them and the hint wording (api/hint-words.ts) names them, so
 * renaming a field renames it in the advice too.
 */

/** Registry access fields, in both wizards and in Settings → Registries. */
export const ACCESS_LABELS = {
  plainHttp: 'Plain HTTP (registry without TLS)',
  tlsVerify: 'Verify TLS certificates',
  caCertFile: 'CA certificate file',
  authFile: 'Auth file (containers auth.json)',
  username: 'User name',
  password: 'Password',
} as const;

/** The request-rate field of a registry in Settings → Registries. */
export const RATE_LIMIT_LABEL = 'Requests per second at most';

/** The port field of Ferry's own registry (the import wizard's "run one here" and the start screen). */
export const REGISTRY_PORT_LABEL = 'Port';

/** The export wizard's incremental field. */
export const SITE_LABEL = 'Incremental for site (empty for a full bundle)';
