import { describe, expect, it } from 'vitest';
import { ProgressRenderer } from '../../src-main/cli/progress.ts';
import { visibleParts } from '../../src-renderer/visible-text.ts';
import { visibleEscape } from '../../src-shared/printable-text.ts';
import { exactStream, shown, TerminalGuard, terminalLines, terminalSafe } from '../../src-main/cli/terminal-text.ts';
import { Capture } from '../harness/test-helpers.ts';

describe('terminalSafe', () => {
  it('shows C0, DEL and C1 controls as escapes', () => {
    expect(terminalSafe('a\x1b[1A\x1b[2Kb')).toBe('a\\x1b[1A\\x1b[2Kb');
    expect(terminalSafe('\x00\x07\x08\x7f\x85\x9b\x9d')).toBe('\\x00\\x07\\x08\\u007f\\u0085\\u009b\\u009d');
    expect(terminalSafe('line\nnext\rback\ttab')).toBe('line\\nnext\\rback\\ttab');
  });

  it('shows bidi overrides, isolates and other invisible format characters', () => {
    for (const code of [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200b, 0x200e, 0x200f, 0x2028, 0x2029, 0xfeff, 0x061c, 0x00ad]) {
      expect(terminalSafe(`a${String.fromCharCode(code)}b`)).toBe(`a\\u${code.toString(16).padStart(4, '0')}b`);
    }
    expect(terminalSafe('tag\u{E0041}')).toBe('tag\\udb40\\udc41');
  });

  it('leaves printable text alone, including non-Latin names and backslashes', () => {
    const text = 'registry.example.com/app:v1 — приложение 应用 \\x1b (already text)';
    expect(terminalSafe(text)).toBe(text);
  });

  it('shown escapes only the interpolated values', () => {
    expect(shown`name ${'a\nb'} -> ${'\x1b[8m'}\n`).toBe('name a\\nb -> \\x1b[8m\n');
  });
});

describe('terminalLines and the guard', () => {
  it('keeps the newlines between lines and escapes the rest', () => {
    expect(terminalLines('one\x1b[2K\ntwo\r\n')).toBe('one\\x1b[2K\ntwo\\r\n');
  });

  it('JSON through the guard parses back to the same value', () => {
    const value = { name: 'a\x1b[1A\x9b\u202e\u2028\x7f\n\t"\\', nested: ['\u2066x\u2069'] };
    const capture = new Capture();
    new TerminalGuard(capture).write(`${JSON.stringify(value, null, 2)}\n`);
    expect(capture.text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u202a-\u202e\u2066-\u2069]/u);
    expect(JSON.parse(capture.text)).toEqual(value);
  });

  it('decodes bytes split inside a character and passes them escaped', () => {
    const capture = new Capture();
    const guard = new TerminalGuard(capture);
    const bytes = Buffer.from('é\u202e');
    guard.write(bytes.subarray(0, 1));
    guard.write(bytes.subarray(1));
    expect(capture.text).toBe('é\\u202e');
  });

  it("Ferry's own progress line still redraws on a terminal under the guard", () => {
    const capture = Object.assign(new Capture(), { isTTY: true });
    const guard = new TerminalGuard(capture);
    expect(guard.isTTY).toBe(true);
    expect(exactStream(guard)).toBe(capture);
    new ProgressRenderer(guard).close();
    expect(capture.text).toBe('\r\x1b[K');
  });
});

describe('one escape for the terminal and the screen', () => {
  it('shows each character the same way in `ferry ls` output and in the app, from src-shared/printable-text.ts', () => {
    const chars = ['\n', '\r', '\t', '\0', '\x1b', '\x7f', '\x9b', '\u200b', '\u202e', '\u2028', '\u2066', '\ufeff', '\ud800'];
    expect(chars.map(visibleEscape)).toEqual(['\\n', '\\r', '\\t', '\\x00', '\\x1b', '\\u007f', '\\u009b', '\\u200b', '\\u202e', '\\u2028', '\\u2066', '\\ufeff', '\\ud800']);
    for (const char of chars) {
      expect(terminalSafe(char)).toBe(visibleEscape(char));
      expect(visibleParts(char, { lines: false })).toEqual([{ escape: visibleEscape(char), codePoint: char.codePointAt(0) }]);
    }
  });
});
