/**
 * Domain types of the OCI world that every layer (engine, API, UI) talks in.
 * Plain data only, so they cross IPC and HTTP unchanged.
 */

/** A parsed, normalised image reference (distribution grammar, Docker defaults applied). */
export interface Reference {
  /** Registry host as the user names it, e.g. `docker.io`, `localhost:5000`. */
  registry: string;
  /** Repository path inside the registry, e.g. `library/nginx`. */
  repository: string;
  /** Tag, if the reference names one (`latest` is filled in when neither tag nor digest is given). */
  tag?: string;
  /** Digest, if the reference pins one; it wins over the tag when both are given. */
  digest?: string;
}

/** An OCI content descriptor: https://github.com/opencontainers/image-spec/blob/main/descriptor.md */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

/** The platform of an image inside an index: https://github.com/opencontainers/image-spec/blob/main/image-index.md */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** Typed progress of one blob in a job, in the states regclient and oras-go use. */
export interface BlobProgress {
  digest: string;
  state: 'skipped' | 'mounted' | 'started' | 'active' | 'finished' | 'failed';
  complete: number;
  total: number;
}
