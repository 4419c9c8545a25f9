/**
 * The two OpenShift endpoints a set's release channels reach on the connected
 * side — the update service (Cincinnati graph) and the release signature
 * store — as every front end passes them to export and copy: checked once
 * here, so `--update-service` and the app's field are held to the same rule.
 */
import { FerryError } from '../../src-shared/errors.ts';

// Front ends show the defaults in their help without reaching below the use-case layer.
export { DEFAULT_SIGNATURE_STORE, DEFAULT_UPDATE_SERVICE } from '../sources/openshift-graph.ts';

/** Where the release channels of an image set are looked up; absent means OpenShift's public endpoints. */
export interface OpenShiftEndpoints {
  /** The update service's graph endpoint, e.g. https://api.openshift.com/api/upgrades_info/v1/graph. */
  updateService?: string;
  /** The release signature store's base URL, e.g. https://mirror.openshift.com/pub/openshift-v4/signatures/openshift/release. */
  signatureStore?: string;
}

/** What each endpoint is called in an error, by the front end that passed it (`--update-service`, or the field's name). */
export type EndpointNames = Record<keyof OpenShiftEndpoints, string>;

/** The names the use cases use when no front end gave its own. */
const FIELD_NAMES: EndpointNames = { updateService: 'updateService', signatureStore: 'signatureStore' };

/** One endpoint checked: an http(s) URL without a login or fragment, returned trimmed. */
function endpointUrl(value: string, name: string, argument: string): string {
  const trimmed = value.trim();
  const url = URL.canParse(trimmed) ? new URL(trimmed) : undefined;
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    // A value that is not a URL is echoed: it is no secret (a URL with a login is refused below without echoing it).
    throw new FerryError('INVALID_ARGUMENT', `${name} must be an http:// or https:// URL, not "${trimmed}"`, { argument });
  }
  if (url.username !== '' || url.password !== '') throw new FerryError('INVALID_ARGUMENT', `${name} must not hold a login (user:password@): Ferry reads it without one`, { argument });
  if (url.hash !== '') throw new FerryError('INVALID_ARGUMENT', `${name} must not have a #fragment`, { argument });
  return trimmed;
}

/**
 * Checks the endpoints a front end passed, naming each as that front end
 * calls it; returns only those given, ready to spread into the resolvers' context.
 */
export function checkedEndpoints(endpoints: OpenShiftEndpoints, names: EndpointNames = FIELD_NAMES): OpenShiftEndpoints {
  const out: OpenShiftEndpoints = {};
  if (endpoints.updateService !== undefined) out.updateService = endpointUrl(endpoints.updateService, names.updateService, 'updateService');
  if (endpoints.signatureStore !== undefined) out.signatureStore = endpointUrl(endpoints.signatureStore, names.signatureStore, 'signatureStore');
  return out;
}
