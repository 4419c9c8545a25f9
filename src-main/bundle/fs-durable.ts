/**
 * Transitional re-export: the durable-write sequence moved to
 * src-main/base/durable-write.ts (and the error helpers to base/fs-errors.ts).
 * Only blob-directory.ts and parts.ts still import from here; delete this
 * file once they import from base/ directly.
 */
export { fsyncDir } from '../base/durable-write.ts';
export { errnoCode, ioError } from '../base/fs-errors.ts';
