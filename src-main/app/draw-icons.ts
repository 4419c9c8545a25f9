/**
 * Ferry's application icon, drawn by code so it has a source and no borrowed
 * artwork: a ship carrying containers over waves on a blue rounded square.
 * `tsx src-main/app/draw-icons.ts` writes resources/icons/ as electron-builder
 * reads it (electron-builder.yml): NxN.png for Linux, icon.ico (16 to 256
 * pixels) for Windows and icon.icns (128 to 512) for macOS, each of the last
 * two holding PNG images. The drawing is deterministic, so
 * tests/unit/electron-builder-config.test.ts can redraw the files and compare.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

type Rgb = readonly [number, number, number];

/** One shape of the drawing: where it is (unit square, y down) and its colour; later shapes paint over earlier ones. */
interface Shape {
  inside(x: number, y: number): boolean;
  color(x: number, y: number): Rgb;
}

const solid = (rgb: Rgb) => (): Rgb => rgb;

function box(left: number, top: number, right: number, bottom: number, rgb: Rgb, ribs = 0): Shape {
  return {
    inside: (x, y) => x >= left && x <= right && y >= top && y <= bottom,
    // Container ribs: thin darker stripes across the box.
    color: (x) => (ribs > 0 && Math.abs(((x - left) / (right - left)) * ribs - Math.round(((x - left) / (right - left)) * ribs)) < 0.12 ? [rgb[0] * 0.8, rgb[1] * 0.8, rgb[2] * 0.8] : rgb),
  };
}

/** A wave line: the band around y = base + amplitude·sin(…) */
function wave(base: number, thickness: number, phase: number): Shape {
  return {
    inside: (x, y) => x > 0.1 && x < 0.9 && Math.abs(y - (base + 0.018 * Math.sin((x * 3 + phase) * 2 * Math.PI))) < thickness,
    color: solid([232, 244, 255]),
  };
}

const BACKGROUND: Shape = {
  inside: (x, y) => {
    const radius = 0.2;
    const dx = Math.max(0.04 + radius - x, 0, x - (0.96 - radius));
    const dy = Math.max(0.04 + radius - y, 0, y - (0.96 - radius));
    return dx * dx + dy * dy <= radius * radius && x >= 0.04 && x <= 0.96 && y >= 0.04 && y <= 0.96;
  },
  // Top to bottom: a lighter sky blue into a deep sea blue.
  color: (_x, y) => [Math.round(40 - 28 * y), Math.round(128 - 64 * y), Math.round(196 - 80 * y)],
};

const HULL: Shape = {
  inside: (x, y) => y >= 0.56 && y <= 0.7 && x >= 0.16 + (y - 0.56) * 0.85 && x <= 0.84 - (y - 0.56) * 0.55,
  color: (_x, y) => (y < 0.595 ? [250, 250, 252] : [22, 38, 64]),
};

/** Every shape, back to front. */
const SHAPES: Shape[] = [
  BACKGROUND,
  box(0.25, 0.44, 0.4, 0.56, [242, 157, 56], 5),
  box(0.41, 0.44, 0.56, 0.56, [230, 83, 61], 5),
  box(0.57, 0.44, 0.72, 0.56, [242, 201, 76], 5),
  box(0.33, 0.32, 0.48, 0.44, [79, 179, 156], 5),
  box(0.49, 0.32, 0.64, 0.44, [242, 157, 56], 5),
  box(0.73, 0.34, 0.77, 0.56, [250, 250, 252]),
  HULL,
  wave(0.75, 0.014, 0),
  wave(0.84, 0.012, 0.5),
];

/** The icon as RGBA pixels, `size` × `size`, each pixel the average of 4×4 samples (smooth edges, transparent corners). */
export function drawIcon(size: number): Buffer {
  const pixels = Buffer.alloc(size * size * 4);
  const grid = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let covered = 0;
      for (let sy = 0; sy < grid; sy++) {
        for (let sx = 0; sx < grid; sx++) {
          const x = (px + (sx + 0.5) / grid) / size;
          const y = (py + (sy + 0.5) / grid) / size;
          if (!BACKGROUND.inside(x, y)) continue;
          let rgb: Rgb = [0, 0, 0];
          for (const shape of SHAPES) if (shape.inside(x, y)) rgb = shape.color(x, y);
          r += rgb[0];
          g += rgb[1];
          b += rgb[2];
          covered++;
        }
      }
      const at = (py * size + px) * 4;
      if (covered === 0) continue;
      pixels[at] = Math.round(r / covered);
      pixels[at + 1] = Math.round(g / covered);
      pixels[at + 2] = Math.round(b / covered);
      pixels[at + 3] = Math.round((covered / (grid * grid)) * 255);
    }
  }
  return pixels;
}

/** A PNG chunk: length, type, data, CRC-32 of type and data. */
function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** The icon at `size` pixels as a PNG file (8-bit RGBA, no filter). */
export function iconPng(size: number): Buffer {
  const pixels = drawIcon(size);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // bit depth 8, colour type RGBA, deflate, no filter method, no interlace
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) pixels.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(rows, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/** A Windows .ico holding one PNG per size (sizes up to 256; 256 is written as 0, as the format says). */
export function iconIco(sizes: number[]): Buffer {
  const images = sizes.map((size) => iconPng(size));
  const header = Buffer.alloc(6 + 16 * sizes.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(sizes.length, 4);
  let offset = header.length;
  sizes.forEach((size, index) => {
    const entry = 6 + 16 * index;
    header.writeUInt8(size >= 256 ? 0 : size, entry);
    header.writeUInt8(size >= 256 ? 0 : size, entry + 1);
    header.writeUInt16LE(1, entry + 4); // colour planes
    header.writeUInt16LE(32, entry + 6); // bits per pixel
    header.writeUInt32LE(images[index]?.length ?? 0, entry + 8);
    header.writeUInt32LE(offset, entry + 12);
    offset += images[index]?.length ?? 0;
  });
  return Buffer.concat([header, ...images]);
}

/** The macOS .icns element types that hold a PNG of each size. */
const ICNS_TYPES: Readonly<Record<number, string>> = { 128: 'ic07', 256: 'ic08', 512: 'ic09' };

/** A macOS .icns holding one PNG per size (128, 256, 512). */
export function iconIcns(sizes: number[]): Buffer {
  const elements = sizes.map((size) => {
    const type = ICNS_TYPES[size];
    if (type === undefined) throw new Error(`no .icns element type for ${size} pixels`);
    const png = iconPng(size);
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const body = Buffer.concat(elements);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([head, body]);
}

/** Every file of resources/icons/, by name. */
export function iconFiles(): Record<string, Buffer> {
  return {
    '512x512.png': iconPng(512),
    '256x256.png': iconPng(256),
    'icon.ico': iconIco([16, 32, 48, 256]),
    'icon.icns': iconIcns([128, 256, 512]),
  };
}

if (process.argv[1] === import.meta.filename) {
  const dir = join(import.meta.dirname, '..', '..', 'resources', 'icons');
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(iconFiles())) writeFileSync(join(dir, name), bytes);
}
