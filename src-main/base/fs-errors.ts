/**
 * Filesystem failures as Ferry errors: one wording ("cannot <action> <path>:
 * <reason>") and the errno kept in the details, so the user sees which file
 * on which drive failed and a front end can tell ENOSPC from EACCES.
 */
import { FerryError } from '../../src-shared/errors.ts';

/** The errno code of a Node filesystem error, if it has one. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

/** Wraps a filesystem failure as IO_ERROR naming the file, so the user sees which file on which drive failed; a FerryError passes through unchanged. */
export function ioError(action: string, path: string, cause: unknown): FerryError {
  if (cause instanceof FerryError) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new FerryError('IO_ERROR', `cannot ${action} ${path}: ${reason}`, { path, errno: errnoCode(cause) }, { cause });
}
