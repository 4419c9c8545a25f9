/**
 * `ferry serve --tls auto`: a private certificate authority kept beside the
 * store and a server certificate it signs for the names clients will use, so
 * a site with no PKI still gets HTTPS that skopeo, containerd and Docker
 * verify (the CA goes into their certs.d / hosts.toml trust, written by
 * mirror-config/). Certificates are built and read with @peculiar/x509 (a
 * kept X.509 library; loaded only when TLS auto is asked for), keys are
 * ECDSA P-256 (what every Go, OpenSSL and Node client accepts).
 *
 * Layout of the TLS folder (`<storage>/tls` for a store):
 *   ca.crt      the CA certificate (PEM) clients trust; made once, never replaced while valid
 *   ca.key      its private key (PKCS#8 PEM, mode 0600); never leaves this folder
 *   server.crt  the server certificate (PEM), reissued when the names change, the CA
 *               changes or it has less than RENEW_BEFORE_DAYS left
 *   server.key  its private key (PKCS#8 PEM, mode 0600)
 * Every file is written durably (temp, fsync, rename), so a kill never leaves half a key.
 */
import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import { writeFileDurable } from '../base/durable-write.ts';
import { errnoCode, ioError } from '../base/fs-errors.ts';

/** The CA lives ten years: clients trust it once (certs.d, a ConfigMap) and should not need it again soon. */
const CA_VALID_DAYS = 3650;
/** Server certificates live 397 days, the longest Apple's and the browsers' TLS checks accept for a server certificate. */
const SERVER_VALID_DAYS = 397;
/** A server certificate with less than this left is reissued at start, so a long-running site never meets an expired one by surprise. */
const RENEW_BEFORE_DAYS = 30;
/** Clock skew a client may have: certificates are valid from a little before now. */
const BACKDATE_MS = 5 * 60 * 1000;
/** ECDSA P-256 with SHA-256: accepted by Go's crypto/tls (containerd, skopeo, Distribution), OpenSSL and Node. */
const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The CA and server certificate `ferry serve --tls auto` uses, as files (for printing and trust files) and as PEM text (for the server). */
export interface AutoTls {
  caFile: string;
  certFile: string;
  keyFile: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

type X509Module = typeof import('@peculiar/x509');

/** @peculiar/x509 with its prerequisites, loaded on first use so `ferry --version` and plain `ferry serve` never pay for it. */
async function loadX509(): Promise<X509Module> {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto);
  return x509;
}

/**
 * The names a server certificate must cover, normalised: trimmed, DNS names
 * lower-cased, IPv6 brackets dropped, duplicates removed, sorted (so the same
 * set always compares equal). An empty or malformed name is refused by name.
 */
export function normaliseNames(names: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of names) {
    const name = raw.trim().replace(/^\[(.*)\]$/, '$1');
    if (isIP(name) === 4) {
      out.add(name);
      continue;
    }
    if (isIP(name) === 6) {
      // The URL parser writes an IPv6 address in its one canonical form (RFC 5952), so ::1 and 0:0:0:0:0:0:0:1 compare equal.
      out.add(new URL(`http://[${name}]/`).hostname.slice(1, -1));
      continue;
    }
    const dns = name.toLowerCase().replace(/\.$/, '');
    // RFC 1123 host names, with one leading wildcard label allowed as certificates allow it.
    if (!/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(dns) || dns.length > 253) {
      throw new FerryError('INVALID_ARGUMENT', `--name "${raw}" is neither a host name nor an IP address`);
    }
    out.add(dns);
  }
  if (out.size === 0) throw new FerryError('INVALID_ARGUMENT', 'a TLS certificate needs at least one name: give --name HOST');
  return [...out].sort();
}

/** Reads a file, undefined when it does not exist; other failures name the file. */
async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw ioError('read', path, error);
  }
}

/** A PKCS#8 PEM private key as a WebCrypto signing key; node:crypto parses the PEM, so no hand-written parser sees it. */
async function importSigningKey(pem: string, file: string): Promise<webcrypto.CryptoKey> {
  try {
    const der = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
    return await webcrypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, true, ['sign']);
  } catch (error) {
    throw new FerryError(
      'INVALID_CONTENT',
      `${file} is not an ECDSA P-256 private key in PEM (${error instanceof Error ? error.message : String(error)}); move the tls folder away to make a new CA`,
      { path: file },
      { cause: error },
    );
  }
}

/** A private key as PKCS#8 PEM, through @peculiar/x509's PEM writer. */
async function privateKeyPem(x509: X509Module, key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return `${x509.PemConverter.encode(der, 'PRIVATE KEY')}\n`;
}

/** A random positive serial number (16 bytes, top bit clear), as RFC 5280 section 4.1.2.2 asks. */
function serialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

interface CaMaterial {
  cert: InstanceType<X509Module['X509Certificate']>;
  key: webcrypto.CryptoKey;
  pem: string;
}

/** The folder's CA: read back when both files exist, made when neither does; half a CA (one file without the other) is refused rather than replaced. */
async function ensureCa(x509: X509Module, dir: string, create: boolean): Promise<CaMaterial> {
  const certFile = join(dir, 'ca.crt');
  const keyFile = join(dir, 'ca.key');
  const [certPem, keyPem] = await Promise.all([readOptional(certFile), readOptional(keyFile)]);
  if (certPem !== undefined && keyPem !== undefined) {
    let cert: InstanceType<X509Module['X509Certificate']>;
    try {
      cert = new x509.X509Certificate(certPem);
    } catch (error) {
      throw new FerryError('INVALID_CONTENT', `${certFile} is not a PEM certificate; move the tls folder away to make a new CA`, { path: certFile }, { cause: error });
    }
    if (cert.notAfter.getTime() < Date.now()) {
      throw new FerryError('INVALID_CONTENT', `the CA in ${certFile} expired on ${cert.notAfter.toISOString()}; move the tls folder away to make a new CA (clients must then trust the new ca.crt)`, {
        path: certFile,
      });
    }
    return { cert, key: await importSigningKey(keyPem, keyFile), pem: certPem };
  }
  if (certPem !== undefined || keyPem !== undefined) {
    const missing = certPem === undefined ? certFile : keyFile;
    throw new FerryError('INVALID_CONTENT', `${missing} is missing while its pair is there; restore it, or move the tls folder away to make a new CA`, { path: missing });
  }
  if (!create) {
    throw new FerryError('INVALID_ARGUMENT', `--read-only --tls auto writes nothing, and ${certFile} does not exist yet: start once without --read-only to make the CA, or give --cert/--key`, {
      path: certFile,
    });
  }
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const now = Date.now();
  const name = `CN=Ferry registry CA ${hostname().replace(/[,+="\\<>;#]/g, '-')} ${serialNumber().slice(0, 8)}, O=Ferry`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + CA_VALID_DAYS * DAY_MS),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pem = `${cert.toString('pem')}\n`;
  // The key first: a kill between the two writes leaves a key without a certificate, refused above by name rather than silently replaced.
  await writeFileDurable(keyFile, await privateKeyPem(x509, keys.privateKey), { mode: 0o600 });
  await writeFileDurable(certFile, pem);
  return { cert, key: keys.privateKey, pem };
}

/** Whether the server certificate and key on disk can be kept: a matching pair, signed by this CA, covering exactly `names`, and not near its end. */
async function serverCertFits(x509: X509Module, certPem: string, keyPem: string, ca: CaMaterial, names: readonly string[]): Promise<boolean> {
  let cert: InstanceType<X509Module['X509Certificate']>;
  let keySpki: Buffer;
  try {
    cert = new x509.X509Certificate(certPem);
    keySpki = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
  } catch {
    return false;
  }
  if (!keySpki.equals(Buffer.from(cert.publicKey.rawData))) return false;
  if (cert.notAfter.getTime() - Date.now() < RENEW_BEFORE_DAYS * DAY_MS) return false;
  if (!(await cert.verify({ publicKey: ca.cert.publicKey, signatureOnly: true }))) return false;
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const held = normaliseNames((san?.names.items ?? []).filter((item) => item.type === 'dns' || item.type === 'ip').map((item) => item.value));
  return held.length === names.length && held.every((name, i) => name === names[i]);
}

/** Issues a server certificate for `names` signed by the CA. */
async function issueServerCert(x509: X509Module, ca: CaMaterial, names: readonly string[]): Promise<{ certPem: string; keyPem: string }> {
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const now = Date.now();
  const first = names[0] ?? 'localhost';
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${first.replace(/[,+="\\<>;#]/g, '-')}`,
    issuer: ca.cert.subject,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(Math.min(now + SERVER_VALID_DAYS * DAY_MS, ca.cert.notAfter.getTime())),
    publicKey: keys.publicKey,
    signingKey: ca.key,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: isIP(value) !== 0 ? ('ip' as const) : ('dns' as const), value }))),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
    ],
  });
  return { certPem: `${cert.toString('pem')}\n`, keyPem: await privateKeyPem(x509, keys.privateKey) };
}

/**
 * The CA and a server certificate for `names` in the TLS folder `dir`,
 * made on first use and reused afterwards; the server certificate is
 * reissued (same CA, so clients keep trusting it) whenever the names differ
 * from the ones it covers, the CA changed, or it nears its end. With
 * `readOnly` (a `--read-only` store) nothing is written: the CA must exist,
 * and a server certificate that needs reissuing is made in memory only
 * (then certFile and keyFile name the stale files on disk, not certPem/keyPem).
 */
export async function ensureAutoTls(dir: string, names: string[], options: { readOnly?: boolean } = {}): Promise<AutoTls> {
  const wanted = normaliseNames(names);
  const x509 = await loadX509();
  const readOnly = options.readOnly === true;
  if (!readOnly) {
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      if (process.platform !== 'win32') await chmod(dir, 0o700);
    } catch (error) {
      throw ioError('create', dir, error);
    }
  }
  const ca = await ensureCa(x509, dir, !readOnly);
  const caFile = join(dir, 'ca.crt');
  const certFile = join(dir, 'server.crt');
  const keyFile = join(dir, 'server.key');
  const [certPem, keyPem] = await Promise.all([readOptional(certFile), readOptional(keyFile)]);
  if (certPem !== undefined && keyPem !== undefined && (await serverCertFits(x509, certPem, keyPem, ca, wanted))) {
    return { caFile, certFile, keyFile, caPem: ca.pem, certPem, keyPem };
  }
  const issued = await issueServerCert(x509, ca, wanted);
  // Read-only: the certificate lives only in memory for this run (same CA, so clients trust it); the folder stays as it was.
  if (readOnly) return { caFile, certFile, keyFile, caPem: ca.pem, ...issued };
  // Key before certificate: a kill between leaves a pair that does not match, which the next start's fit check reissues.
  await writeFileDurable(keyFile, issued.keyPem, { mode: 0o600 });
  await writeFileDurable(certFile, issued.certPem);
  return { caFile, certFile, keyFile, caPem: ca.pem, ...issued };
}
