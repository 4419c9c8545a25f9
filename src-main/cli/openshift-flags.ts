/**
 * `--update-service URL` and `--signature-store URL`: where a set's OpenShift
 * release channels are looked up, for `ferry export` and `ferry copy` alike.
 * Checked here under the flags' own names, before any registry is asked.
 */
import { checkedEndpoints, DEFAULT_SIGNATURE_STORE, DEFAULT_UPDATE_SERVICE, type OpenShiftEndpoints } from '../usecases/openshift-endpoints.ts';
import type { FlagSpec, ParsedArgs } from './args.ts';

/** The two flags, for a command's flag table. */
export const endpointFlags: Record<string, FlagSpec> = {
  'update-service': {
    type: 'string',
    value: 'URL',
    description: `the OpenShift update service's graph endpoint for a set's release channels (default ${DEFAULT_UPDATE_SERVICE})`,
  },
  'signature-store': {
    type: 'string',
    value: 'URL',
    description: `where a set's release signatures are fetched from (default ${DEFAULT_SIGNATURE_STORE})`,
  },
};

/** The endpoints the flags give, checked as http(s) URLs; only those given. */
export function openShiftEndpoints(values: ParsedArgs['values']): OpenShiftEndpoints {
  const given: OpenShiftEndpoints = {};
  if (typeof values['update-service'] === 'string') given.updateService = values['update-service'];
  if (typeof values['signature-store'] === 'string') given.signatureStore = values['signature-store'];
  return checkedEndpoints(given, { updateService: '--update-service', signatureStore: '--signature-store' });
}
