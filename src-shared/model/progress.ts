/**
 * Typed progress of a long job (copy, export, verify), shared by the CLI and
 * the UI: numbers only, never preformatted text.
 */
import type { BlobProgress } from './oci.ts';

/** A throttled snapshot of a whole job. */
export interface JobProgress {
  /** `checking-registry`: an import asks the target registry what it can take (import-preflight.ts) before its first write. */
  phase: 'planning' | 'checking-registry' | 'transferring' | 'verifying' | 'done';
  completeBytes: number;
  totalBytes: number;
  blobsDone: number;
  blobsTotal: number;
  /** Average over the last few seconds. */
  bytesPerSecond: number;
  /** Undefined until the rate is known. */
  etaSeconds: number | undefined;
}

/** Everything a transfer job reports while it runs. */
export type TransferEvent =
  | { type: 'planned'; images: number; blobs: number; bytes: number; savedByDedup?: number }
  | { type: 'blob'; progress: BlobProgress }
  | { type: 'image'; source: string; destination: string; digest: string }
  | { type: 'progress'; progress: JobProgress };
