/**
 * macOS drive listing from `diskutil`: `diskutil list -plist external` names
 * the external disks and their mounted volumes (partitions, and the APFS
 * volumes of the synthesized container an external APFS store gets), then
 * `diskutil info -plist <id>` for each mounted one gives its file system,
 * size and free space. Both answer XML property lists; the small subset
 * diskutil prints (dict, array, key, string, integer, real, true, false, date,
 * data) is parsed here, without a package, and tested with captured output.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { DriveInfo } from '../../src-shared/api/contract.ts';
import { byRemovableThenPath, byteCount, driveAdvice, shownType } from './drives-common.ts';
import { macFileSystemKind } from './macos.ts';
import { freeSpace } from './probe.ts';

/** A property-list value; `date` and `data` stay strings (diskutil's are never needed). */
export type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };
type PlistDict = { [key: string]: PlistValue };

export const DISKUTIL_LIST_ARGS = ['list', '-plist', 'external'];
export const diskutilInfoArgs = (id: string): string[] => ['info', '-plist', id];
/** diskutil answers in well under a second; a wedged disk arbitration daemon must not hang the wizard. */
const DISKUTIL_TIMEOUT_MS = 5_000;
/** At most this many volumes are asked about, so a hub full of card readers stays bounded. */
const MAX_VOLUMES = 32;

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    return ENTITIES[name] ?? whole;
  });
}

interface Token {
  /** `open`, `close`, `empty` (`<true/>`) or `text`. */
  kind: 'open' | 'close' | 'empty' | 'text';
  /** The element name, or the decoded text. */
  value: string;
}

function tokenize(xml: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /<!--[\s\S]*?-->|<[?!][^>]*>|<(\/?)([A-Za-z]+)[^>]*?(\/?)>|([^<]+)/g;
  for (const match of xml.matchAll(pattern)) {
    const [, slash, name, selfClosing, text] = match;
    if (text !== undefined) tokens.push({ kind: 'text', value: decodeEntities(text) });
    else if (name !== undefined) tokens.push({ kind: slash ? 'close' : selfClosing ? 'empty' : 'open', value: name });
  }
  return tokens;
}

/**
 * Parses an XML property list; undefined for anything that is not one.
 * Whitespace between elements is ignored; inside `<string>` it is kept.
 */
export function parsePlist(xml: string): PlistValue | undefined {
  const tokens = tokenize(xml).filter((t) => !(t.kind === 'text' && t.value.trim() === ''));
  let at = 0;
  const fail = (): never => {
    throw new Error('not a property list');
  };
  const next = (): Token => tokens[at++] ?? fail();
  const textUntil = (name: string): string => {
    let text = '';
    for (let token = next(); !(token.kind === 'close' && token.value === name); token = next()) {
      if (token.kind !== 'text') fail();
      text += token.value;
    }
    return text;
  };
  const value = (): PlistValue => {
    const token = next();
    if (token.kind === 'empty') {
      switch (token.value) {
        case 'true':
          return true;
        case 'false':
          return false;
        case 'string':
        case 'data':
          return '';
        case 'dict':
          return {};
        case 'array':
          return [];
        default:
          return fail();
      }
    }
    if (token.kind !== 'open') return fail();
    switch (token.value) {
      case 'plist': {
        const inner = value();
        const close = next();
        if (close.kind !== 'close' || close.value !== 'plist') fail();
        return inner;
      }
      case 'dict': {
        const dict: PlistDict = {};
        for (;;) {
          const key = next();
          if (key.kind === 'close' && key.value === 'dict') return dict;
          if (key.kind !== 'open' || key.value !== 'key') return fail();
          const name = textUntil('key');
          dict[name] = value();
        }
      }
      case 'array': {
        const list: PlistValue[] = [];
        while (!(tokens[at]?.kind === 'close' && tokens[at]?.value === 'array')) list.push(value());
        at += 1;
        return list;
      }
      case 'string':
      case 'date':
      case 'data':
        return textUntil(token.value);
      case 'integer':
      case 'real': {
        const number = Number(textUntil(token.value).trim());
        return Number.isFinite(number) ? number : fail();
      }
      case 'true':
      case 'false':
        textUntil(token.value);
        return token.value === 'true';
      default:
        return fail();
    }
  };
  try {
    return value();
  } catch {
    return undefined;
  }
}

function dict(value: PlistValue | undefined): PlistDict | undefined {
  return typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

function list(value: PlistValue | undefined): PlistDict[] {
  return Array.isArray(value)
    ? value.flatMap((item): PlistDict[] => {
        const d = dict(item);
        return d === undefined ? [] : [d];
      })
    : [];
}

function str(value: PlistValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The device identifiers (`disk4s1`, `disk5s1`) of the mounted volumes in a
 * `diskutil list -plist` answer: whole disks without a partition map,
 * partitions, and APFS volumes. Unmounted ones (EFI, an APFS physical store)
 * are left out; each identifier appears once, in diskutil's order.
 */
export function parseDiskutilList(xml: string): string[] {
  const root = dict(parsePlist(xml));
  const ids: string[] = [];
  for (const disk of list(root?.AllDisksAndPartitions)) {
    for (const volume of [disk, ...list(disk.Partitions), ...list(disk.APFSVolumes)]) {
      const id = str(volume.DeviceIdentifier);
      if (id !== undefined && str(volume.MountPoint) !== undefined && /^disk\d+(s\d+)*$/.test(id) && !ids.includes(id)) ids.push(id);
    }
  }
  return ids;
}

/**
 * One mounted volume from `diskutil info -plist <id>`, or undefined when it
 * is not mounted, is a disk image, or the answer is not a volume. Free space
 * is the volume's own (`FreeSpace`); APFS volumes share their container's,
 * which recent macOS reports only as `APFSContainerFree`.
 */
export function parseDiskutilInfo(xml: string): DriveInfo | undefined {
  const info = dict(parsePlist(xml));
  const mountPoint = str(info?.MountPoint);
  if (info === undefined || mountPoint === undefined || !mountPoint.startsWith('/')) return undefined;
  if (info.BusProtocol === 'Disk Image') return undefined;
  const rawType = str(info.FilesystemType) ?? str(info.FilesystemName) ?? 'unknown';
  const kind = macFileSystemKind(rawType);
  const volumeFree = byteCount(info.FreeSpace);
  const containerFree = byteCount(info.APFSContainerFree);
  const freeBytes = kind === 'apfs' && containerFree !== null && !volumeFree ? containerFree : (volumeFree ?? containerFree);
  const removable = info.RemovableMediaOrExternalDevice === true || info.RemovableMedia === true || info.Removable === true || info.Ejectable === true || info.Internal === false;
  return {
    path: mountPoint,
    label: str(info.VolumeName) ?? mountPoint.split('/').pop() ?? mountPoint,
    fsType: shownType(kind, rawType),
    freeBytes,
    sizeBytes: byteCount(info.TotalSize) ?? byteCount(info.Size) ?? byteCount(info.VolumeSize),
    removable,
    advice: driveAdvice(kind),
  };
}

/** Runs diskutil; undefined when it fails. */
async function diskutil(args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)('diskutil', args, { timeout: DISKUTIL_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 });
    return stdout;
  } catch {
    return undefined;
  }
}

/** The external volumes of this Mac, removable first; never throws. Free space is re-read with statfs when it can be. */
export async function listMacDrives(): Promise<DriveInfo[]> {
  const listed = await diskutil(DISKUTIL_LIST_ARGS);
  if (listed === undefined) return [];
  const ids = parseDiskutilList(listed).slice(0, MAX_VOLUMES);
  const drives = await Promise.all(
    ids.map(async (id) => {
      const info = await diskutil(diskutilInfoArgs(id));
      const drive = info === undefined ? undefined : parseDiskutilInfo(info);
      return drive === undefined ? undefined : { ...drive, freeBytes: (await freeSpace(drive.path)) ?? drive.freeBytes };
    }),
  );
  const seen = new Set<string>();
  return drives.filter((d): d is DriveInfo => d !== undefined && !seen.has(d.path) && Boolean(seen.add(d.path))).sort(byRemovableThenPath);
}
