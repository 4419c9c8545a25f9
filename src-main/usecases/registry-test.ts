/**
 * The connection test of the app's registry forms: does this address answer
 * as an OCI registry, and does it accept the login — before a long job finds
 * out halfway.
 */
import type { RegistryTestResult } from '../../src-shared/api/contract.ts';
import { errorHint, FerryError } from '../../src-shared/errors.ts';
import { parseReference } from '../oci/reference.ts';
import { Registries } from '../oci/registry/registries.ts';
import { registryAccessFor, type RegistrySettings } from './access.ts';

/** Authenticates and asks `GET /v2/` of `host[:port]` or `host[:port]/prefix` (the distribution-spec "end-1" check). */
export async function testRegistry(registry: string, settings: RegistrySettings): Promise<RegistryTestResult> {
  const trimmed = registry.replace(/\/+$/, '');
  const host = parseReference(`${trimmed.split('/')[0] ?? trimmed}/ferry-connection-test`).registry;
  const registries = new Registries(registryAccessFor(settings, [host]));
  try {
    const client = await registries.client(host);
    await client.send({ method: 'GET', path: '/v2/', scopes: [], expect: [200], subject: host, noRetry: true });
    const login = settings.login ? ' and accepts the credentials' : (await settings.savedLogin?.(host)) ? ' and accepts the saved login' : '';
    return { ok: true, message: `${host} answers as an OCI registry${login}` };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const hint = error instanceof FerryError ? errorHint(error.details) : undefined;
    return hint ? { ok: false, message, hint } : { ok: false, message };
  } finally {
    await registries.close();
  }
}
