/**
 * How the nodes will reach and trust the mirror, from the settings the import
 * (or `ferry copy --set`) itself used for it, so the mirror configuration says
 * what is true: plain HTTP when the job spoke plain HTTP, unverified TLS
 * (spelled as a risk) when it ran with --tls-verify=false and no CA is known,
 * and the mirror's CA (`--mirror-ca`, else the job's `--ca-cert` files) checked
 * before the first byte is pushed, so a wrong CA file never costs an import.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import type { MirrorConfigOptions } from '../mirror-config/mapping.ts';
import type { RegistrySettings } from './access.ts';

/** The trust part of the mirror-configuration options. */
export type MirrorTrust = Pick<MirrorConfigOptions, 'transport' | 'caPem'>;

/**
 * Reads and checks the mirror CA and decides the transport. `mirrorCa` is a
 * PEM file path or PEM text; without it the job's `--ca-cert` files are the
 * mirror's CA. A CA for a plain-HTTP mirror is refused as a contradiction.
 */
export async function mirrorTrust(settings: RegistrySettings, mirrorCa?: string): Promise<MirrorTrust> {
  // The job's login (the PUSH login) is deliberately not passed on: nodes need a pull-only login, which the user fills in (see ket.ts, deckhouse.ts).
  const trust: MirrorTrust = {};
  if (settings.plainHttp === true) {
    if (mirrorCa !== undefined) {
      throw new FerryError('INVALID_ARGUMENT', 'a mirror CA (--mirror-ca) was given for a plain-HTTP mirror (--plain-http): plain HTTP has no certificate to check', { argument: 'mirrorCa' });
    }
    return { ...trust, transport: 'http' };
  }
  const caFiles = settings.caCertFiles ?? [];
  if (mirrorCa !== undefined || caFiles.length > 0) {
    const { readMirrorCa, readMirrorCaFiles } = await import('../mirror-config/mirror-ca.ts');
    const ca =
      mirrorCa !== undefined
        ? await readMirrorCa(mirrorCa)
        : await readMirrorCaFiles(caFiles).catch((error: unknown) => {
            throw fromCaCert(error);
          });
    // With the CA the nodes can verify the mirror, even if this job itself skipped the check.
    return { ...trust, transport: 'https', caPem: ca.pem };
  }
  return { ...trust, transport: settings.tlsVerify === false ? 'https-skip-verify' : 'https' };
}

/** A --ca-cert file that is no CA: the same refusal, saying why it was read as the mirror's CA and how to name another. */
function fromCaCert(error: unknown): unknown {
  if (!(error instanceof FerryError)) return error;
  return new FerryError(error.code, `${error.message} (the --ca-cert files are taken as the mirror's CA for the mirror configuration; name it with --mirror-ca FILE)`, error.details, { cause: error });
}

/** The import target as mirror configuration names it, `REGISTRY[/PREFIX]`: every mirror lies under it, and a Deckhouse edition root lands at it. */
export function targetText(target: { registry: string; prefix: string }): string {
  return target.prefix === '' ? target.registry : `${target.registry}/${target.prefix}`;
}

/**
 * The CA `ferry serve --tls auto` keeps in a store (`<store>/tls/ca.crt`), as
 * the default mirror CA of an import written straight into that store
 * (`--to-store`): undefined when the job names a CA itself, speaks plain
 * HTTP, or the store has no such file (it is not served with --tls auto).
 */
export async function storeMirrorCa(store: string | undefined, settings: RegistrySettings, mirrorCa: string | undefined): Promise<string | undefined> {
  if (store === undefined || mirrorCa !== undefined || settings.plainHttp === true || (settings.caCertFiles ?? []).length > 0) return mirrorCa;
  const file = join(store, 'tls', 'ca.crt');
  try {
    await access(file);
    return file;
  } catch {
    return undefined;
  }
}
