/**
 * What `ferry registry check` found out about a registry before anything is
 * pushed to it: the one report the CLI prints, the import preflight reads and
 * the app's target step shows. Registries differ from Distribution in ways a
 * push only discovers halfway (docs/registries.md); this names each
 * difference up front, with the flag or setting that handles it.
 */

/** How a row reads: the capability is there, is not, or could not be found out (the detail says why). */
export type CapabilityState = 'yes' | 'no' | 'unknown';

/** The stable ids of the report's rows, so front ends and tests can find a row without matching its words. */
export type RegistryCheckRowId =
  | 'reachable'
  | 'tls'
  | 'auth'
  | 'write'
  | 'max-depth'
  | 'oci-index'
  | 'docker-manifest-list'
  | 'artifact-type'
  | 'subject'
  | 'referrers-api'
  | 'creates-repositories'
  | 'can-create-repositories'
  | 'deletes'
  | 'throttling';

/** One line of the capability table: what was probed, what it came to, and the evidence in plain words. */
export interface RegistryCheckRow {
  /** Which capability this row is about (stable, for code). */
  id: RegistryCheckRowId;
  /** The capability in the operator's words ("Accepts OCI indexes"). */
  label: string;
  /** The answer. */
  state: CapabilityState;
  /** The evidence: what the registry answered, or why the probe could not run. */
  detail: string;
}

/** Which manifest kinds the registry stored when one was pushed by digest; null when the probe could not run. */
export interface ManifestAcceptance {
  /** An OCI image index (`application/vnd.oci.image.index.v1+json`): some Harbor versions answer "unknown: artifact". */
  ociIndex: boolean | null;
  /** A Docker manifest list (`application/vnd.docker.distribution.manifest.list.v2+json`): Nexus answers 400. */
  dockerManifestList: boolean | null;
  /** An OCI image manifest carrying `artifactType` (signatures, SBOMs as artifacts). */
  artifactType: boolean | null;
  /** An OCI image manifest carrying `subject` (a referrer of another manifest). */
  subject: boolean | null;
}

/**
 * Throttling the registry showed during the check (HTTP 429, HTTP/2 GOAWAY
 * ENHANCE_YOUR_CALM). Filled by the rate-limit and HTTP/2 work; absent when
 * nothing was observed, and the row then says "not observed".
 */
export interface RegistryThrottling {
  /** How many 429 answers the check met. */
  tooManyRequests: number;
  /** How many HTTP/2 GOAWAY frames (ENHANCE_YOUR_CALM or otherwise) closed a connection during the check. */
  goaway: number;
  /** The longest Retry-After the registry asked for, in milliseconds, when it gave one. */
  retryAfterMs?: number;
  /** The registry's own words for its limit, from its rate-limit headers (e.g. `100;w=21600`), when it sent any. */
  limit?: string;
  /** One plain sentence for the table. */
  detail: string;
}

/** The whole report of one check of `REGISTRY[/PREFIX]`. */
export interface RegistryCheckReport {
  /** What was checked, as the user wrote it (`registry.example.com/mirror`). */
  target: string;
  /** The registry host (`registry.example.com`, `127.0.0.1:5000`). */
  registry: string;
  /** The repository path under which Ferry would push, without slashes at either end; '' for the registry's root. */
  prefix: string;
  /** `GET /v2/` answered as an OCI registry with the given credentials. Nothing else was probed when false. */
  reachable: boolean;
  /** How the connection was made: a verified certificate, an unverified one (--tls-verify=false), or plain HTTP. */
  tls: 'verified' | 'unverified' | 'plain-http';
  /** What the registry asked for on `GET /v2/`: nothing, Basic credentials, or a bearer token from its token service. */
  auth: 'anonymous' | 'basic' | 'token';
  /** A probe blob could be pushed under the prefix (and, where deletes are allowed, deleted again). */
  write: boolean;
  /**
   * The deepest repository path the registry accepted an upload in, counted
   * in path components after the host, the prefix included (`mirror/a/b` is 3);
   * null when no limit was found up to `depthCeiling`.
   */
  maxDepth: number | null;
  /** The deepest path the check tried: `maxDepth: null` means "at least this deep". */
  depthCeiling: number;
  /** Which manifest kinds the registry stores (each pushed by digest, never by tag). */
  accepts: ManifestAcceptance;
  /** `GET /v2/<name>/referrers/<digest>` answers with an index; false for 404/400/405 (Distribution 2.8 has none). */
  referrersApi: boolean | null;
  /** A push to a repository that does not exist yet creates it (false on ECR-like registries: 404 NAME_UNKNOWN). */
  createsRepositoriesOnPush: boolean | null;
  /** Manifests and blobs can be deleted by digest (false when the registry answers 405 / UNSUPPORTED). */
  deletes: boolean | null;
  /** The registry offers an API to create a repository (Quay's `POST /api/v1/repository`), which `--create-repositories` uses. */
  canCreateRepositories: boolean;
  /** The repository the write and manifest probes ran in (an existing one under the prefix, else a probe name); absent when none ran. */
  probeRepository?: string;
  /** Throttling met during the check; absent when none was observed. */
  throttling?: RegistryThrottling;
  /**
   * What the check could not remove again, in plain words (`127.0.0.1:5000/mirror/app@sha256:…`, or a
   * repository the registry now lists). Never a tag: the check pushes nothing by tag.
   */
  leftovers: string[];
  /** The table: one row per capability, in the order shown. */
  rows: RegistryCheckRow[];
  /** How long the check took, in milliseconds. */
  durationMs: number;
}
