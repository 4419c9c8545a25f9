/**
 * Checking a parsed YAML file (an image set or one of its sections, the site
 * policy) against its zod schema, and turning every problem zod finds into one
 * INVALID_CONTENT error that names the file, the line:column and the path of
 * each bad part (`deckhouse.modules[1] has an invalid version constraint …`).
 */
import { z } from 'zod';
import { FerryError } from '../../src-shared/errors.ts';
import type { TextPosition, ValuePath, YamlContent } from './yaml-read.ts';

/** One problem in a file: its path, wording and, when known, where it was written. */
export interface ContentProblem {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

/** Where to report a check: the file (if any), the path of the checked value inside it, and the word for that value. */
export interface ContentSource {
  file?: string;
  /** Path of the checked value in the file, e.g. `['deckhouse']` for a section checked alone. */
  prefix?: ValuePath;
  /** Name of the checked value when a problem concerns it as a whole: "the image set", "deckhouse". */
  subject: string;
  position?: YamlContent['position'];
}

/** `openshift.operators[0].packages[1].name`: the path as a person reads it. */
export function pathText(path: ValuePath): string {
  return path.map((step, i) => (typeof step === 'number' ? `[${step}]` : i === 0 ? String(step) : `.${String(step)}`)).join('');
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
};

/** The wording of zod's own issues, used where a schema gives none; every message reads after the path ("… must be a list"). */
const wording: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
    case 'unrecognized_keys':
      return 'is not a known key';
    case 'too_small':
      return issue.origin === 'array' ? `must list at least ${String(issue.minimum)}` : issue.origin === 'string' ? 'must not be empty' : `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`;
    case 'invalid_format':
      return 'has an invalid format';
    default:
      return undefined;
  }
};

/** Every problem of a failed check, one per unknown key, in the order zod found them. */
export function contentProblems(issues: readonly z.core.$ZodIssue[], source: ContentSource): ContentProblem[] {
  const prefix = source.prefix ?? [];
  return issues.flatMap((issue) => {
    const parts = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => ({ path: [...issue.path, key], of: 'key' as const })) : [{ path: issue.path, of: 'value' as const }];
    return parts.map(({ path, of }): ContentProblem => {
      const full = [...prefix, ...path];
      const where: TextPosition | undefined = source.position?.(full, of);
      const subject = path.length === 0 ? (prefix.length === 0 ? source.subject : pathText(prefix)) : pathText(full);
      return { path: pathText(full), message: `${subject} ${issue.message}`, ...(where ? { line: where.line, column: where.column } : {}) };
    });
  });
}

function located(file: string | undefined, problem: ContentProblem): string {
  if (file === undefined) return problem.message;
  return `${file}${problem.line === undefined ? '' : `:${problem.line}:${problem.column ?? 1}`}: ${problem.message}`;
}

/**
 * Checks `value` against `schema` and returns the parsed (transformed) value;
 * otherwise throws INVALID_CONTENT listing every problem, the first one's
 * file, line and column in the details.
 */
export function checkContent<S extends z.ZodType>(schema: S, value: unknown, source: ContentSource): z.output<S> {
  const result = schema.safeParse(value, { error: wording });
  if (result.success) return result.data;
  const problems = contentProblems(result.error.issues, source);
  const first = problems[0] ?? { path: '', message: `${source.subject} is invalid` };
  const message =
    problems.length <= 1
      ? located(source.file, first)
      : `${problems.length} problems${source.file === undefined ? '' : ` in ${source.file}`}:\n  ${problems.map((p) => located(source.file, p)).join('\n  ')}`;
  throw new FerryError('INVALID_CONTENT', message, {
    ...(source.file === undefined ? {} : { file: source.file }),
    ...(first.line === undefined ? {} : { line: first.line, column: first.column }),
    path: first.path,
    problems,
  });
}
