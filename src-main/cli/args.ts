/**
 * Declarative command-line flags: one table per command drives both parsing
 * (node:util parseArgs) and `--help`, so the help can never miss a flag.
 */
import { parseArgs } from 'node:util';
import { FerryError } from '../../src-shared/errors.ts';

/** One flag: its type, whether it repeats, and the line `--help` shows. */
export interface FlagSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** Placeholder for the value in help, e.g. FILE. */
  value?: string;
  description: string;
}

/** A command: its usage line, what it does, and its flags. */
export interface CommandSpec {
  name: string;
  usage: string;
  summary: string;
  flags: Record<string, FlagSpec>;
  /** Extra help text after the flags: examples. */
  examples?: string[];
  /** Exit codes worth listing (a command with more than success and failure, e.g. 3 = partial). */
  exitCodes?: string[];
}

/** Where a command writes: results to `out`, progress and diagnostics to `err` (both terminal-safe, see terminal-text.ts); `input` stands in for process.stdin (tests), read only for --password-stdin. */
export interface CommandIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  input?: NodeJS.ReadableStream;
}

/** Parsed flags and positional arguments. */
export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/** `--tls-verify` style flags take `=true|false` but may be given bare, meaning true. */
function normaliseBareBooleans(argv: string[], spec: CommandSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    const name = arg.startsWith('--') ? arg.slice(2) : '';
    const flag = spec.flags[name];
    const next = argv[i + 1];
    if (flag?.type === 'string' && flag.value === 'BOOL' && next !== 'true' && next !== 'false') out.push(`${arg}=true`);
    else out.push(arg);
  }
  return out;
}

/** Parses argv against a command's flags; an unknown or malformed flag is an INVALID_ARGUMENT naming it. */
export function parseCommandArgs(argv: string[], spec: CommandSpec): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const [name, flag] of Object.entries(spec.flags)) options[name] = { type: flag.type, ...(flag.multiple ? { multiple: true } : {}) };
  options.help = { type: 'boolean' };
  try {
    const { values, positionals } = parseArgs({ args: normaliseBareBooleans(argv, spec), options, allowPositionals: true, strict: true });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new FerryError('INVALID_ARGUMENT', `${message} (see ferry ${spec.name} --help)`);
  }
}

/** Reads a `true|false` flag value; anything else names the flag. */
export function booleanFlag(values: ParsedArgs['values'], name: string, fallback: boolean): boolean {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new FerryError('INVALID_ARGUMENT', `--${name} takes true or false, got "${String(raw)}"`);
}

/** The help text of a command, built from the same table the parser uses. */
export function helpText(spec: CommandSpec): string {
  const rows = Object.entries(spec.flags).map(([name, flag]) => {
    const value = flag.type === 'string' ? (flag.value === 'BOOL' ? '[=true|false]' : ` ${flag.value ?? 'VALUE'}`) : '';
    return [`--${name}${value}`, `${flag.description}${flag.multiple ? ' (repeatable)' : ''}`] as const;
  });
  rows.push(['--help', 'show this help']);
  const width = Math.max(...rows.map(([left]) => left.length));
  const lines = [`Usage: ${spec.usage}`, '', spec.summary, '', 'Flags:', ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`)];
  if (spec.examples?.length) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  if (spec.exitCodes?.length) lines.push('', 'Exit codes:', ...spec.exitCodes.map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}

/** A repeatable string flag's values (none when absent). */
export function stringsFlag(values: ParsedArgs['values'], name: string): string[] {
  const value = values[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

/** `--platform` / `--all-platforms` as the platforms to keep (none: all). */
export function platformFlags(values: ParsedArgs['values']): string[] {
  const wanted = stringsFlag(values, 'platform');
  if (wanted.length > 0 && values['all-platforms'] === true) throw new FerryError('INVALID_ARGUMENT', '--all-platforms and --platform exclude each other');
  return wanted;
}

/** `--concurrency N`, checked. */
export function concurrencyFlag(values: ParsedArgs['values'], fallback: number): number {
  const raw = values.concurrency;
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new FerryError('INVALID_ARGUMENT', `--concurrency must be an integer from 1 to 256, got "${String(raw)}"`);
  return n;
}
