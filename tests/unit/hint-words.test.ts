/** The app words each error hint as the field of its forms that fixes it, never as a command-line flag. */
import { describe, expect, it } from 'vitest';
import { hintAsFields } from '../../src-renderer/api/hint-words.ts';
import { ACCESS_LABELS, RATE_LIMIT_LABEL, REGISTRY_PORT_LABEL, SITE_LABEL } from '../../src-renderer/field-labels.ts';
import { ERROR_HINT_KINDS, type ErrorHint } from '../../src-shared/errors.ts';

/** Each kind, and the labels of the fields its advice must name (as the forms show them). */
const CASES: Record<ErrorHint['kind'], { hint: ErrorHint; fields: string[] }> = {
  credentials: { hint: { kind: 'credentials', host: 'mirror.local:5000' }, fields: [ACCESS_LABELS.username, ACCESS_LABELS.password, ACCESS_LABELS.authFile] },
  'auth-file-per-registry': { hint: { kind: 'auth-file-per-registry' }, fields: [ACCESS_LABELS.username, ACCESS_LABELS.password, ACCESS_LABELS.authFile] },
  'mirror-login': { hint: { kind: 'mirror-login', host: 'mirror.local:5000' }, fields: [ACCESS_LABELS.username, ACCESS_LABELS.password] },
  'ca-certificate': { hint: { kind: 'ca-certificate', host: 'mirror.local:5000' }, fields: [ACCESS_LABELS.caCertFile, ACCESS_LABELS.tlsVerify] },
  'tls-verify': { hint: { kind: 'tls-verify', host: 'mirror.local:5000' }, fields: [ACCESS_LABELS.tlsVerify] },
  'plain-http': { hint: { kind: 'plain-http', host: 'mirror.local:5000' }, fields: [ACCESS_LABELS.plainHttp] },
  'site-receipt': { hint: { kind: 'site-receipt', site: 'plant-7' }, fields: [SITE_LABEL] },
  'keep-source-host': { hint: { kind: 'keep-source-host', registry: 'mirror.local:5000' }, fields: [] },
  'listen-port': { hint: { kind: 'listen-port', address: '0.0.0.0:5000' }, fields: [REGISTRY_PORT_LABEL] },
  'rate-limit': { hint: { kind: 'rate-limit', host: 'mirror.local:5000' }, fields: [RATE_LIMIT_LABEL] },
  'registry-limits': { hint: { kind: 'registry-limits', maxNestedPaths: 2, createRepositories: true }, fields: ['Keep paths at most 2 levels deep', 'Create missing repositories'] },
};

describe('hintAsFields', () => {
  it.each(ERROR_HINT_KINDS.map((kind) => [kind]))('%s names its fields and what it is about, and no flag', (kind) => {
    const { hint, fields } = CASES[kind];
    const words = hintAsFields(hint);
    for (const field of fields) expect(words).toContain(`“${field}”`);
    const about = 'host' in hint ? hint.host : 'site' in hint ? hint.site : 'registry' in hint ? hint.registry : 'address' in hint ? hint.address : undefined;
    if (about !== undefined) expect(words).toContain(about);
    expect(words).not.toMatch(/--[a-z]/);
  });

  it('the labels it names are the ones the forms show', () => {
    expect(ACCESS_LABELS).toEqual({
      plainHttp: 'Plain HTTP (registry without TLS)',
      tlsVerify: 'Verify TLS certificates',
      caCertFile: 'CA certificate file',
      authFile: 'Auth file (containers auth.json)',
      username: 'User name',
      password: 'Password',
    });
  });
});
