import { describe, expect, it } from 'vitest';
import { FerryError } from '../../src-shared/errors.ts';
import { formatBytes, formatEta, formatRate, parseSize } from '../../src-shared/units.ts';

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const TiB = 1024 ** 4;

describe('parseSize: good sizes', () => {
  const cases: Array<[string, number]> = [
    ['4294967295', 4_294_967_295],
    ['1', 1],
    ['512B', 512],
    ['512 b', 512],
    ['700MB', 700_000_000],
    ['700 MB', 700_000_000],
    ['700mb', 700_000_000],
    ['1kB', 1000],
    ['1KB', 1000],
    ['4.7GB', 4_700_000_000],
    ['2TB', 2_000_000_000_000],
    ['1KiB', KiB],
    ['700MiB', 700 * MiB],
    ['700 mib', 700 * MiB],
    ['4GiB', 4 * GiB],
    ['1TiB', TiB],
    ['1.5GiB', 1.5 * GiB],
    ['0.5K', 512],
    ['1k', KiB],
    ['700M', 700 * MiB],
    ['4g', 4 * GiB],
    ['2T', 2 * TiB],
    ['1.25 M', 1.25 * MiB],
    ['  64MiB  ', 64 * MiB],
    ['4.000GiB', 4 * GiB],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
  ];
  for (const [text, bytes] of cases) {
    it(`${JSON.stringify(text)} → ${bytes}`, () => {
      expect(parseSize(text)).toBe(bytes);
    });
  }
});

describe('parseSize: bad sizes are INVALID_ARGUMENT naming the text', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /expected a positive number/],
    ['   ', /expected a positive number/],
    ['-1', /cannot be negative/],
    ['-5MB', /cannot be negative/],
    ['0', /greater than zero/],
    ['0MiB', /greater than zero/],
    ['0.0', /greater than zero/],
    ['NaN', /expected a positive number/],
    ['Infinity', /expected a positive number/],
    ['MB', /expected a positive number/],
    ['1.', /expected a positive number/],
    ['.5G', /expected a positive number/],
    ['1e9', /expected a positive number/],
    ['1,000', /expected a positive number/],
    ['0x10', /expected a positive number/],
    ['10 XB', /unknown unit "XB"/],
    ['5 PB', /unknown unit "PB"/],
    ['4 GiBs', /unknown unit "GiBs"/],
    ['1 2', /expected a positive number/],
    ['0.1KiB', /not a whole number of bytes/],
    ['1.0000001KB', /not a whole number of bytes/],
    ['0.5', /not a whole number of bytes/],
    ['9007199254740992', /larger than 9007199254740991 bytes/],
    ['8193TiB', /larger than/],
    ['99999999999999999999999', /larger than/],
  ];
  for (const [text, message] of cases) {
    it(JSON.stringify(text), () => {
      let caught: unknown;
      try {
        parseSize(text);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(FerryError);
      const error = caught as FerryError;
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toContain(`"${text}"`);
      expect(error.message).toMatch(message);
    });
  }
});

describe('formatBytes', () => {
  const cases: Array<[number, string]> = [
    [0, '0 B'],
    [1, '1 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [5 * MiB, '5 MiB'],
    [1024 * 1024 - 1, '1 MiB'],
    [Math.round(2.1 * GiB), '2.1 GiB'],
    [Math.round(1.3 * GiB), '1.3 GiB'],
    [4_294_967_295, '4 GiB'],
    [700_000_000, '667.6 MiB'],
    [3 * TiB, '3 TiB'],
    [2 * 1024 * TiB, '2 PiB'],
    [Number.MAX_SAFE_INTEGER, '8 PiB'],
  ];
  for (const [bytes, text] of cases) {
    it(`${bytes} → ${text}`, () => {
      expect(formatBytes(bytes)).toBe(text);
    });
  }

  it('round-trips through parseSize for whole binary units', () => {
    for (const text of ['1 KiB', '5 MiB', '3 GiB', '2 TiB']) expect(formatBytes(parseSize(text))).toBe(text);
  });

  const lenient: Array<[number, string]> = [
    [1.5, '2 B'],
    [1023.4, '1023 B'],
    [1023.6, '1 KiB'],
    [1536.7, '1.5 KiB'],
    [-2048, '-2 KiB'],
    [Number.NaN, 'unknown'],
    [Number.POSITIVE_INFINITY, 'unknown'],
    [Number.MAX_SAFE_INTEGER * 4, '32 PiB'],
  ];
  for (const [bytes, text] of lenient) {
    it(`never throws, as progress rates need: ${bytes} → ${text}`, () => {
      expect(formatBytes(bytes)).toBe(text);
    });
  }

  it('prints unknown for a size not known yet', () => {
    expect(formatBytes(undefined)).toBe('unknown');
    expect(formatBytes(null)).toBe('unknown');
  });
});

describe('formatRate', () => {
  const cases: Array<[number | undefined, string]> = [
    [0, '0 B/s'],
    [512.4, '512 B/s'],
    [38.1 * MiB, '38.1 MiB/s'],
    [GiB, '1 GiB/s'],
    [undefined, 'unknown'],
    [Number.NaN, 'unknown'],
  ];
  for (const [rate, text] of cases) {
    it(`${rate} → ${text}`, () => {
      expect(formatRate(rate)).toBe(text);
    });
  }
});

describe('formatEta: words, at most two units', () => {
  const cases: Array<[number | undefined, string]> = [
    [0, '0 s'],
    [0.4, '0 s'],
    [45, '45 s'],
    [59.6, '1 min 0 s'],
    [65, '1 min 5 s'],
    [3599, '59 min 59 s'],
    [3600, '1 h 0 min'],
    [2 * 3600 + 3 * 60 + 59, '2 h 3 min'],
    [30 * 3600, '30 h 0 min'],
    [-5, '0 s'],
    [undefined, 'unknown'],
    [Number.POSITIVE_INFINITY, 'unknown'],
  ];
  for (const [seconds, text] of cases) {
    it(`${seconds} → ${text}`, () => {
      expect(formatEta(seconds)).toBe(text);
    });
  }
});
