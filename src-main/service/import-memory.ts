/**
 * The import wizard's memory (issue 17): the target, site and TLS choices of
 * the last import started here, in `last-import.json` beside the catalog, so
 * the next run of the app starts where the operator left off. Paths and
 * flags only: no login is ever written (the password field is not declared,
 * and the schema drops what it does not declare).
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { ImportInput, LastImportTarget } from '../../src-shared/api/contract.ts';
import type { JsonDocumentKind } from '../../src-shared/schemas/document.ts';
import { readJsonFile } from '../base/json-file.ts';
import { writeFileDurable } from '../base/durable-write.ts';

/** The file's name, in the catalog's folder. */
export const LAST_IMPORT_FILE = 'last-import.json';

const LastImportSchema = z.object({
  target: z.string().min(1),
  site: z.string().min(1).optional(),
  plainHttp: z.boolean(),
  tlsVerify: z.boolean(),
  caCertFile: z.string().min(1).optional(),
  authFile: z.string().min(1).optional(),
});

const LAST_IMPORT_DOCUMENT: JsonDocumentKind<typeof LastImportSchema> = { schema: LastImportSchema, name: "the last import's target", maxBytes: 64 * 1024, code: 'INVALID_CONTENT' };

/** Where the memory of a catalog lives. */
export function lastImportPathFor(catalogPath: string): string {
  return join(dirname(catalogPath), LAST_IMPORT_FILE);
}

/** import:last — the remembered target, or null before the first import (or when the file cannot be read: a memory is not worth an error). */
export async function readLastImport(path: string): Promise<LastImportTarget | null> {
  try {
    const value = await readJsonFile(path, LAST_IMPORT_DOCUMENT);
    if (value === undefined) return null;
    const last: LastImportTarget = { target: value.target, plainHttp: value.plainHttp, tlsVerify: value.tlsVerify };
    if (value.site !== undefined) last.site = value.site;
    if (value.caCertFile !== undefined) last.caCertFile = value.caCertFile;
    if (value.authFile !== undefined) last.authFile = value.authFile;
    return last;
  } catch {
    return null;
  }
}

/** Remembers a started import's target and choices (never its login), durably. */
export async function rememberImport(path: string, input: ImportInput): Promise<void> {
  const access = input.registry ?? {};
  const caCertFile = access.caCertFiles?.[0];
  const last: LastImportTarget = {
    target: input.target.trim(),
    plainHttp: access.plainHttp === true,
    tlsVerify: access.tlsVerify !== false,
    ...(input.site !== undefined ? { site: input.site } : {}),
    ...(caCertFile !== undefined && caCertFile !== '' ? { caCertFile } : {}),
    ...(access.authFile !== undefined && access.authFile !== '' ? { authFile: access.authFile } : {}),
  };
  await mkdir(dirname(path), { recursive: true });
  await writeFileDurable(path, `${JSON.stringify(last, null, 2)}\n`, { mode: 0o600 });
}
