/**
 * Domain types of the OCI world that every layer (engine, API, UI) talks in.
 * Plain data only, so they cross IPC and HTTP unchanged.
 */
import type { z } from 'zod';
import type { DescriptorSchema, PlatformSchema } from '../schemas/oci.ts';

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

/** An OCI content descriptor: https://github.com/opencontainers/image-spec/blob/main/descriptor.md (inferred from its schema). */
export type Descriptor = z.infer<typeof DescriptorSchema>;

/** The platform of an image inside an index: https://github.com/opencontainers/image-spec/blob/main/image-index.md */
export type Platform = z.infer<typeof PlatformSchema>;

/** Typed progress of one blob in a job, in the states regclient and oras-go use. */
export interface BlobProgress {
  digest: string;
  state: 'skipped' | 'mounted' | 'started' | 'active' | 'finished' | 'failed';
  complete: number;
  total: number;
}
