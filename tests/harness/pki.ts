/**
 * Per-run certificate authorities made with openssl, for the TLS registry and
 * for the token issuer's signing chain. Nothing is reused between runs.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Key size for every generated key: 2048-bit RSA is the smallest that Go's TLS and libtrust accept without complaint. */
const RSA_BITS = '2048';
/** Validity in days: a test run never lasts longer, and short lives catch clock mistakes. */
const VALID_DAYS = '2';

/** A CA plus one leaf certificate signed by it, as files on disk and as PEM text. */
export interface Pki {
  caCertFile: string;
  caCertPem: string;
  leafCertFile: string;
  leafCertPem: string;
  leafKeyFile: string;
  leafKeyPem: string;
}

/** What the leaf certificate is for: a TLS server (needs SANs) or JWT signing (must not be a CA). */
export type LeafUsage = 'server' | 'signing';

async function openssl(args: string[]): Promise<void> {
  try {
    await execFileAsync('openssl', args, { timeout: 30_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0] ?? ''} failed: ${stderr.trim()}`);
  }
}

/** Generates a fresh CA and leaf in `dir`; `prefix` keeps several PKIs apart in one folder. */
export async function makePki(dir: string, prefix: string, usage: LeafUsage): Promise<Pki> {
  const caKey = join(dir, `${prefix}-ca.key`);
  const caCert = join(dir, `${prefix}-ca.crt`);
  const leafKey = join(dir, `${prefix}.key`);
  const leafCsr = join(dir, `${prefix}.csr`);
  const leafCert = join(dir, `${prefix}.crt`);
  const extFile = join(dir, `${prefix}.ext`);
  await openssl([
    'req',
    '-x509',
    '-newkey',
    `rsa:${RSA_BITS}`,
    '-nodes',
    '-keyout',
    caKey,
    '-out',
    caCert,
    '-days',
    VALID_DAYS,
    '-subj',
    `/CN=ferry-test-${prefix}-ca`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await openssl(['req', '-new', '-newkey', `rsa:${RSA_BITS}`, '-nodes', '-keyout', leafKey, '-out', leafCsr, '-subj', usage === 'server' ? '/CN=127.0.0.1' : `/CN=ferry-test-${prefix}-signer`]);
  const ext =
    usage === 'server'
      ? ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth', 'subjectAltName=IP:127.0.0.1,DNS:localhost']
      : ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature'];
  await writeFile(extFile, `${ext.join('\n')}\n`);
  await openssl(['x509', '-req', '-in', leafCsr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-out', leafCert, '-days', VALID_DAYS, '-sha256', '-extfile', extFile]);
  return {
    caCertFile: caCert,
    caCertPem: await readFile(caCert, 'utf8'),
    leafCertFile: leafCert,
    leafCertPem: await readFile(leafCert, 'utf8'),
    leafKeyFile: leafKey,
    leafKeyPem: await readFile(leafKey, 'utf8'),
  };
}

/** Base64 DER of a PEM certificate, the form JOSE's `x5c` header wants (RFC 7515 §4.1.6). */
export function pemToDerBase64(pem: string): string {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!match?.[1]) throw new Error('no certificate in PEM');
  return match[1].replace(/\s+/g, '');
}
