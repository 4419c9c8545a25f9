/**
 * A small YAML reader for image set files, so Ferry needs no YAML dependency:
 * block mappings and sequences, plain / single-quoted / double-quoted
 * scalars, flow `[…]` and `{…}` collections, comments and a leading `---`.
 * Anything beyond that (anchors, tags, block scalars, multi-document files)
 * is refused with the line number, never misread.
 */
import { FerryError } from '../../src-shared/errors.ts';

/** A parsed YAML value. */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  indent: number;
  text: string;
  number: number;
}

class Parser {
  private i = 0;

  constructor(private readonly lines: Line[], private readonly file: string) {}

  fail(line: Line | undefined, why: string): never {
    throw new FerryError('INVALID_ARGUMENT', `${this.file}${line ? `:${line.number}` : ''}: ${why}`, { file: this.file, line: line?.number });
  }

  parseDocument(): YamlValue {
    if (this.lines.length === 0) return null;
    const value = this.parseNode(this.lines[0]?.indent ?? 0);
    if (this.i < this.lines.length) this.fail(this.lines[this.i], 'unexpected indentation');
    return value;
  }

  private parseNode(indent: number): YamlValue {
    const line = this.lines[this.i];
    if (!line) return null;
    if (line.text === '-' || line.text.startsWith('- ')) return this.parseSequence(line.indent);
    if (splitKey(line.text) !== undefined) return this.parseMapping(indent);
    this.i += 1;
    return this.scalarOrFlow(line.text, line);
  }

  private parseSequence(indent: number): YamlValue[] {
    const out: YamlValue[] = [];
    for (let line = this.lines[this.i]; line && line.indent === indent && (line.text === '-' || line.text.startsWith('- ')); line = this.lines[this.i]) {
      const rest = line.text === '-' ? '' : line.text.slice(2).trimStart();
      if (rest === '') {
        this.i += 1;
        const next = this.lines[this.i];
        out.push(next && next.indent > indent ? this.parseNode(next.indent) : null);
      } else if (rest === '-' || rest.startsWith('- ') || (splitKey(rest) !== undefined && !rest.startsWith('{') && !rest.startsWith('['))) {
        // "- key: value" opens a mapping, "- - x" a sequence, whose items sit where the rest starts.
        const column = line.indent + (line.text.length - rest.length);
        this.lines[this.i] = { indent: column, text: rest, number: line.number };
        out.push(rest === '-' || rest.startsWith('- ') ? this.parseSequence(column) : this.parseMapping(column));
      } else {
        this.i += 1;
        out.push(this.scalarOrFlow(rest, line));
      }
    }
    return out;
  }

  private parseMapping(indent: number): { [key: string]: YamlValue } {
    const out: { [key: string]: YamlValue } = {};
    for (let line = this.lines[this.i]; line && line.indent === indent; line = this.lines[this.i]) {
      const split = splitKey(line.text);
      if (split === undefined) this.fail(line, `expected "key: value", got "${line.text}"`);
      const key = String(this.scalarOrFlow(split.key, line));
      if (Object.hasOwn(out, key)) this.fail(line, `duplicate key "${key}"`);
      this.i += 1;
      if (split.value !== '') {
        out[key] = this.scalarOrFlow(split.value, line);
        continue;
      }
      const next = this.lines[this.i];
      // A sequence may sit at the key's own indentation ("key:\n- a").
      const child = next && (next.indent > indent || (next.indent === indent && (next.text === '-' || next.text.startsWith('- '))));
      out[key] = child && next ? this.parseNode(next.indent) : null;
    }
    return out;
  }

  private scalarOrFlow(text: string, line: Line): YamlValue {
    if (/^[&*!|>]/.test(text)) this.fail(line, `"${text[0]}" (anchors, aliases, tags and block scalars) is not supported in image set files`);
    if (text.startsWith('[') || text.startsWith('{')) {
      const flow = new FlowReader(text, (why) => this.fail(line, why));
      const value = flow.value();
      flow.end();
      return value;
    }
    return scalar(text, (why) => this.fail(line, why));
  }
}

/** Splits `key: value` at the first unquoted ": " (or a trailing ":"); undefined when the text is no mapping entry. */
function splitKey(text: string): { key: string; value: string } | undefined {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if ((c === '"' || c === "'") && i === 0) {
      quote = c;
    } else if (c === '[' || c === '{') {
      if (i === 0) return undefined;
    } else if (c === ':' && (i === text.length - 1 || text[i + 1] === ' ')) {
      return { key: text.slice(0, i).trim(), value: text.slice(i + 1).trim() };
    }
  }
  return undefined;
}

/** A single scalar: quoted strings unescaped, plain ones typed (true/false/null/numbers) as YAML 1.2 core does. */
function scalar(text: string, fail: (why: string) => never): YamlValue {
  if (text.startsWith('"')) {
    if (!text.endsWith('"') || text.length < 2) fail(`unterminated double-quoted string ${text}`);
    try {
      return JSON.parse(text.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1')) as string;
    } catch {
      return fail(`invalid escape in ${text}`);
    }
  }
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2) fail(`unterminated single-quoted string ${text}`);
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (text === '' || text === '~' || text === 'null' || text === 'Null' || text === 'NULL') return null;
  if (/^(true|True|TRUE)$/.test(text)) return true;
  if (/^(false|False|FALSE)$/.test(text)) return false;
  if (/^[-+]?(0|[1-9][0-9]*)$/.test(text)) return Number(text);
  if (/^[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  return text;
}

/** Reads a flow collection (`[a, "b", {c: d}]`). */
class FlowReader {
  private i = 0;

  constructor(private readonly text: string, private readonly fail: (why: string) => never) {}

  value(): YamlValue {
    this.skip();
    const c = this.text[this.i];
    if (c === '[') return this.sequence();
    if (c === '{') return this.mapping();
    return this.item(',]}');
  }

  end(): void {
    this.skip();
    if (this.i < this.text.length) this.fail(`unexpected "${this.text.slice(this.i)}" after a flow collection`);
  }

  private skip(): void {
    while (this.text[this.i] === ' ') this.i += 1;
  }

  private item(stops: string): YamlValue {
    this.skip();
    const start = this.i;
    const quote = this.text[this.i] === '"' || this.text[this.i] === "'" ? this.text[this.i] : undefined;
    if (quote) {
      this.i += 1;
      while (this.i < this.text.length && !(this.text[this.i] === quote && this.text[this.i - 1] !== '\\')) this.i += 1;
      this.i += 1;
    } else {
      while (this.i < this.text.length && !stops.includes(this.text[this.i] ?? '')) this.i += 1;
    }
    return scalar(this.text.slice(start, this.i).trim(), this.fail);
  }

  private sequence(): YamlValue[] {
    const out: YamlValue[] = [];
    this.i += 1;
    for (;;) {
      this.skip();
      if (this.text[this.i] === ']') {
        this.i += 1;
        return out;
      }
      out.push(this.text[this.i] === '[' || this.text[this.i] === '{' ? this.value() : this.item(',]'));
      this.skip();
      if (this.text[this.i] === ',') this.i += 1;
      else if (this.text[this.i] !== ']') this.fail(`expected "," or "]" in ${this.text}`);
    }
  }

  private mapping(): { [key: string]: YamlValue } {
    const out: { [key: string]: YamlValue } = {};
    this.i += 1;
    for (;;) {
      this.skip();
      if (this.text[this.i] === '}') {
        this.i += 1;
        return out;
      }
      const key = String(this.item(':'));
      if (this.text[this.i] !== ':') this.fail(`expected ":" after "${key}" in ${this.text}`);
      this.i += 1;
      this.skip();
      out[key] = this.text[this.i] === '[' || this.text[this.i] === '{' ? this.value() : this.item(',}');
      this.skip();
      if (this.text[this.i] === ',') this.i += 1;
      else if (this.text[this.i] !== '}') this.fail(`expected "," or "}" in ${this.text}`);
    }
  }
}

/** Removes a comment: a `#` at the start or after a space, outside quotes. */
function stripComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || text[i - 1] === ' ')) {
      return text.slice(0, i);
    }
  }
  return text;
}

/** Parses YAML text (the subset above); `file` names the source in errors. */
export function parseYaml(text: string, file: string): YamlValue {
  const lines: Line[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    if (raw.includes('\t') && /^\s*\t/.test(raw)) throw new FerryError('INVALID_ARGUMENT', `${file}:${index + 1}: tabs cannot indent YAML`, { file, line: index + 1 });
    const content = stripComment(raw).trimEnd();
    if (content.trim() === '' || (content === '---' && lines.length === 0)) return;
    if (content === '---' || content === '...') throw new FerryError('INVALID_ARGUMENT', `${file}:${index + 1}: one document per image set file`, { file, line: index + 1 });
    lines.push({ indent: content.length - content.trimStart().length, text: content.trim(), number: index + 1 });
  });
  return new Parser(lines, file).parseDocument();
}
