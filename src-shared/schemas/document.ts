/**
 * Reading one JSON document Ferry did not just write: the strict reader
 * (size cap, duplicate and prototype keys) and then the document's zod schema.
 * Every refusal is a FerryError with the document kind's code and details
 * `{ file, path }` naming the file and the first JSON path that is wrong.
 */
import type { z } from 'zod';
import { FerryError, type ErrorCode } from '../errors.ts';
import { formatJsonPath, parseStrictJson } from '../strict-json.ts';

/** One kind of document: its schema, what messages call it, its size cap and the code a refusal carries. */
export interface JsonDocumentKind<Schema extends z.ZodType> {
  schema: Schema;
  /** For messages: `the bundle schema`, `a Ferry receipt`. */
  name: string;
  maxBytes: number;
  code: ErrorCode;
  /**
   * Return the parsed value whole instead of zod's output, which drops keys
   * the schema does not name. For the OCI shapes, whose extension fields
   * must travel untouched; only for schemas without transforms or defaults.
   */
  keepUnknownKeys?: boolean;
}

/** One problem a schema found, as `$.path: what is wrong`. */
export interface SchemaProblem {
  path: string;
  message: string;
}

/** Most problems a message lists; details keep them all. */
const SHOWN_PROBLEMS = 20;

/** Zod's issues in Ferry's words: one problem per unknown key, `is missing` for an absent field. */
export function schemaProblems(error: z.ZodError): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ path: formatJsonPath([...issue.path, key]), message: 'is not allowed' });
    } else if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) {
      problems.push({ path: formatJsonPath(issue.path), message: 'is missing' });
    } else {
      problems.push({ path: formatJsonPath(issue.path), message: issue.message });
    }
  }
  return problems;
}

/** Checks an already-parsed value against a kind's schema; throws naming the file and every problem (the first 20 in the message). */
export function checkJsonDocument<Schema extends z.ZodType>(value: unknown, kind: JsonDocumentKind<Schema>, file: string): z.output<Schema> {
  const result = kind.schema.safeParse(value);
  if (result.success) return kind.keepUnknownKeys === true ? (value as z.output<Schema>) : result.data;
  const problems = schemaProblems(result.error);
  const lines = problems.slice(0, SHOWN_PROBLEMS).map((p) => `${p.path}: ${p.message}`);
  const more = problems.length > SHOWN_PROBLEMS ? `\n  … and ${problems.length - SHOWN_PROBLEMS} more` : '';
  throw new FerryError(kind.code, `${file} does not match ${kind.name}:\n  ${lines.join('\n  ')}${more}`, {
    file,
    path: problems[0]?.path ?? '$',
    problems: problems.map((p) => `${p.path}: ${p.message}`),
  });
}

/** Reads one document strictly and checks it against its schema; the one way Ferry reads JSON from disk or media. */
export function parseJsonDocument<Schema extends z.ZodType>(input: string | Uint8Array, kind: JsonDocumentKind<Schema>, file: string): z.output<Schema> {
  return checkJsonDocument(parseStrictJson(input, { file, maxBytes: kind.maxBytes, code: kind.code }), kind, file);
}
