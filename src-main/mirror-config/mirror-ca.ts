/**
 * The mirror's CA, checked before anything is pushed: the certificate(s) the
 * nodes will be told to trust for the mirror (`--mirror-ca FILE`, or the
 * import's own `--ca-cert`). Every PEM block must be an X.509 certificate
 * that may sign others (basicConstraints CA:TRUE, RFC 5280 4.2.1.9) and be
 * valid now; anything else (a private key, the server's own leaf, an expired
 * CA) is refused naming the file and the reason, since a wrong ca.crt only
 * shows up later as a pull failure on every node.
 * Parsed with @peculiar/x509 (loaded on first use: the CLI's start stays light).
 */
import { readFile } from 'node:fs/promises';
import { FerryError } from '../../src-shared/errors.ts';

/** Largest CA file read: a bundle of a few hundred certificates fits; anything bigger is not a CA file. */
const MAX_CA_BYTES = 1024 * 1024;

/** A checked mirror CA: the PEM to install and where it came from (for messages). */
export interface MirrorCa {
  /** Normalised PEM: only CERTIFICATE blocks, each re-encoded, one after another, ending in a newline. */
  pem: string;
  /** The file it was read from, or "the mirror CA text" when given as text. */
  origin: string;
  /** Subjects of the certificates, for a summary line. */
  subjects: string[];
}

function refuse(origin: string, reason: string): FerryError {
  return new FerryError('INVALID_CONTENT', `${origin} cannot be the mirror's CA: ${reason}`, { path: origin });
}

/**
 * Checks PEM text as the mirror's CA and returns it normalised. `origin` names
 * the file in every message. `now` is the moment validity is judged at.
 */
export async function checkMirrorCa(text: string, origin: string, now: Date = new Date()): Promise<MirrorCa> {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  let blocks: Array<{ type: string; rawData: ArrayBuffer }>;
  try {
    blocks = x509.PemConverter.decodeWithHeaders(text);
  } catch (error) {
    throw refuse(origin, `it is not PEM text (${error instanceof Error ? error.message : String(error)})`);
  }
  if (blocks.length === 0) throw refuse(origin, 'it holds no "-----BEGIN CERTIFICATE-----" block');
  const pems: string[] = [];
  const subjects: string[] = [];
  for (const [index, block] of blocks.entries()) {
    const which = blocks.length === 1 ? 'its certificate' : `certificate ${index + 1} of ${blocks.length}`;
    // Never echo the block: a private key pasted by mistake must not reach a log.
    if (block.type !== 'CERTIFICATE') throw refuse(origin, `block ${index + 1} is a "${block.type}" block, not a CERTIFICATE (a CA file holds certificates only)`);
    let cert: InstanceType<typeof x509.X509Certificate>;
    try {
      cert = new x509.X509Certificate(block.rawData);
    } catch (error) {
      throw refuse(origin, `${which} is not a valid X.509 certificate (${error instanceof Error ? error.message : String(error)})`);
    }
    const constraints = cert.getExtension(x509.BasicConstraintsExtension);
    if (constraints === null || !constraints.ca) {
      throw refuse(
        origin,
        `${which} (${cert.subject}) is not a CA certificate (basicConstraints CA:TRUE ${constraints === null ? 'is missing' : 'is false'}); it looks like the server's own certificate: give the CA that signed it`,
      );
    }
    if (cert.notAfter.getTime() < now.getTime()) throw refuse(origin, `${which} (${cert.subject}) expired on ${cert.notAfter.toISOString()}`);
    if (cert.notBefore.getTime() > now.getTime()) throw refuse(origin, `${which} (${cert.subject}) is not valid before ${cert.notBefore.toISOString()}`);
    pems.push(cert.toString('pem').trim());
    subjects.push(cert.subject);
  }
  return { pem: `${pems.join('\n')}\n`, origin, subjects };
}

/**
 * Reads and checks the mirror's CA: `source` is a file path, or PEM text
 * itself (the app passes either). A missing file is INVALID_ARGUMENT naming it.
 */
export async function readMirrorCa(source: string): Promise<MirrorCa> {
  if (source.includes('-----BEGIN')) return checkMirrorCa(source, 'the mirror CA text');
  let bytes: Buffer;
  try {
    bytes = await readFile(source);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FerryError('INVALID_ARGUMENT', `cannot read the mirror CA file ${source}${code === undefined ? '' : ` (${code})`}`, { path: source }, { cause: error });
  }
  if (bytes.length > MAX_CA_BYTES) throw refuse(source, `it is ${bytes.length} bytes, more than a CA file holds (${MAX_CA_BYTES})`);
  return checkMirrorCa(bytes.toString('utf8'), source);
}

/** Reads several CA files (the import's `--ca-cert` list) as one mirror CA, each file checked by name. */
export async function readMirrorCaFiles(files: readonly string[]): Promise<MirrorCa> {
  const parts = await Promise.all(files.map((file) => readMirrorCa(file)));
  return { pem: parts.map((part) => part.pem).join(''), origin: files.join(', '), subjects: parts.flatMap((part) => part.subjects) };
}
