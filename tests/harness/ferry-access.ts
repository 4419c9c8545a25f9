/**
 * Builds Ferry's own registry access settings for a harness registry, so
 * integration tests reach each mode the way a user's flags would.
 */
import type { RegistryAccess } from '../../src-main/oci/registry/registries.ts';
import { Registries } from '../../src-main/oci/registry/registries.ts';
import type { RunningRegistry } from './registry.ts';

/** Access flags for a harness registry: plain HTTP when it has no TLS, its CA when it has, and its first user's credentials. */
export function accessFor(registry: RunningRegistry, overrides: Partial<RegistryAccess> = {}): RegistryAccess {
  const access: RegistryAccess = {
    plainHttp: registry.url.startsWith('http:'),
    tls: { verify: true, caCertFiles: registry.caFile ? [registry.caFile] : [], certDirs: [] },
    // An empty auth file keeps the developer's own ~/.docker/config.json out of the tests.
    authFile: emptyAuthFile,
  };
  if (registry.username !== undefined && registry.password !== undefined) access.creds = { username: registry.username, password: registry.password, host: registry.host };
  return { ...access, ...overrides };
}

/** Registries for one harness registry. */
export function registriesFor(registry: RunningRegistry, overrides: Partial<RegistryAccess> = {}): Registries {
  return new Registries(accessFor(registry, overrides));
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** An auth file with no entries, shared by every test in the process. */
export const emptyAuthFile = (() => {
  const path = join(mkdtempSync(join(tmpdir(), 'ferry-auth-')), 'auth.json');
  writeFileSync(path, '{"auths":{}}');
  return path;
})();
