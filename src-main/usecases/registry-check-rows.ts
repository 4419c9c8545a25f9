/**
 * The capability table of `ferry registry check`: one row per capability, in
 * the operator's words, built from the report's fields so the CLI, the JSON
 * and the app show the same answer with the same evidence.
 */
import type { CapabilityState, RegistryCheckReport, RegistryCheckRow, RegistryCheckRowId } from '../../src-shared/model/registry-check.ts';

/** The evidence behind each row, gathered by the probes (plain sentences), and a state where the report's fields alone cannot say it. */
export type RowDetails = Partial<Record<RegistryCheckRowId, { detail: string; state?: CapabilityState }>>;

function state(value: boolean | null | undefined): CapabilityState {
  return value === true ? 'yes' : value === false ? 'no' : 'unknown';
}

/** The rows of a report, in the order the table shows them. */
export function checkRows(report: Omit<RegistryCheckReport, 'rows'>, details: RowDetails): RegistryCheckRow[] {
  const row = (id: RegistryCheckRowId, label: string, value: CapabilityState, fallback: string): RegistryCheckRow => ({
    id,
    label,
    state: details[id]?.state ?? value,
    detail: details[id]?.detail ?? fallback,
  });
  const probed = report.reachable;
  const notProbed = 'not probed: the registry did not answer';
  const tlsWords = report.tls === 'verified' ? 'TLS, certificate verified' : report.tls === 'unverified' ? 'TLS, but the certificate is not verified (verification turned off)' : 'plain HTTP, no TLS';
  const authWords = report.auth === 'anonymous' ? 'no login asked for' : report.auth === 'basic' ? 'Basic credentials' : 'bearer token from its token service';
  const depth = report.maxDepth;
  return [
    row('reachable', 'Reachable', probed ? 'yes' : 'no', probed ? `${report.registry} answers as an OCI registry` : `${report.registry} did not answer as an OCI registry`),
    row('tls', 'TLS certificate verified', probed ? (report.tls === 'verified' ? 'yes' : 'no') : 'unknown', tlsWords),
    row('auth', 'Authentication', probed ? 'yes' : 'unknown', probed ? authWords : notProbed),
    row('write', 'Write access under the prefix', probed ? state(report.write) : 'unknown', notProbed),
    row('max-depth', 'Deep repository paths', !probed ? 'unknown' : depth === null ? 'yes' : 'no', depth === null ? `no limit found up to ${report.depthCeiling} levels` : `at most ${depth} levels`),
    row('oci-index', 'Accepts OCI indexes', state(report.accepts.ociIndex), notProbed),
    row('docker-manifest-list', 'Accepts Docker manifest lists', state(report.accepts.dockerManifestList), notProbed),
    row('artifact-type', 'Accepts artifacts with an artifact type', state(report.accepts.artifactType), notProbed),
    row('subject', 'Accepts signatures and other referrers', state(report.accepts.subject), notProbed),
    row('referrers-api', 'Referrers API', state(report.referrersApi), notProbed),
    row('creates-repositories', 'Creates repositories on push', state(report.createsRepositoriesOnPush), notProbed),
    row('can-create-repositories', 'Can create repositories (API)', probed ? state(report.canCreateRepositories) : 'unknown', notProbed),
    row('deletes', 'Deletes allowed', state(report.deletes), notProbed),
    row('throttling', 'Throttling', report.throttling === undefined ? (probed ? 'no' : 'unknown') : 'yes', report.throttling?.detail ?? (probed ? 'not observed' : notProbed)),
  ];
}
