/**
 * Signing a bundle as it is exported (`ferry export --sign KEY`, the export
 * wizard's "Sign with key"; docs/trust.md "Signing a bundle"): the key is
 * opened before the export starts, so a wrong passphrase fails at once, and
 * the signature over ferry.json's exact bytes is written to
 * `signatures/<key>.sigstore.json` once ferry.json is sealed. ferry.json pins
 * index.json, every blob and every part, so that one signature covers the
 * whole bundle. The passphrase opens the key and is never kept or written.
 */
import { join } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import { BUNDLE_FILES, type BundleImage, type BundleManifest } from '../../src-shared/model/bundle.ts';
import { FERRY_JSON_LIMIT, parseBundleManifest } from '../../src-shared/schemas/bundle-manifest.ts';
import { readBundleFile } from '../base/safe-read.ts';
import { readBack } from '../bundle/read-back.ts';
import type { Catalog } from '../catalog/index.ts';
import { sha256Digest } from '../oci/digest.ts';
import { signFerryJson } from '../trust/bundle-signature.ts';
import { readSigningKey, type SigningKey } from '../trust/keys.ts';
import { statementFileName, writeStatement } from '../trust/statements.ts';
import { keysFolder } from './keys.ts';

/** What an export signs with: a key name in the keys folder (or a path to a `.key` file) and the passphrase that opens it. */
export interface ExportSigning {
  key: string;
  /** Opens the private key; never stored, logged or written. */
  passphrase: string;
  /** The keys folder a key name is looked up in; Ferry's default keys folder when not given. */
  keysDir?: string;
}

/** The signature an export wrote. */
export interface ExportSignature {
  /** Relative to the bundle: `signatures/<key>.sigstore.json`. */
  file: string;
  keyName: string;
  /** The key's fingerprint, `sha256:<hex>`. */
  keyId: string;
  /** `sha256:<hex>` of the ferry.json signed. */
  ferryJsonDigest: string;
}

/**
 * Opens the signing key before anything is exported: a wrong passphrase, a
 * missing key or a key whose name cannot name a statement file is refused now,
 * not after an hour of copying.
 */
export async function openExportSigner(signing: ExportSigning): Promise<SigningKey> {
  const key = await readSigningKey(signing.key, signing.passphrase, keysFolder(signing.keysDir));
  statementFileName(key.name, 'export', key.keyId);
  return key;
}

/** Images compared as ferry.json lists them, whatever their order. */
function sameImages(a: readonly BundleImage[], b: readonly BundleImage[]): boolean {
  const canonical = (list: readonly BundleImage[]): string =>
    list
      .map((image) => JSON.stringify(image, Object.keys(image).sort()))
      .sort()
      .join('\n');
  return canonical(a) === canonical(b);
}

/**
 * Signs the bundle an export just finished. `written` is the digest of the
 * ferry.json this run wrote: the bytes on the media must be exactly those.
 * Without it (the folder already held the finished bundle) the whole bundle is
 * read back and checked first, and its images must be the ones this export
 * planned, so a key never vouches for a ferry.json someone else put there.
 * A bundle whose ferry.json does not pin index.json (made before issue 14)
 * is refused: the signature would not cover index.json.
 */
export async function signExportedBundle(
  bundle: string,
  key: SigningKey,
  expected: { written?: string; images: readonly BundleImage[] },
  catalog: Catalog,
  signal?: AbortSignal,
): Promise<ExportSignature> {
  let bytes: Buffer;
  let manifest: BundleManifest;
  if (expected.written !== undefined) {
    bytes = await readBundleFile(bundle, BUNDLE_FILES.manifest, { limit: FERRY_JSON_LIMIT, ...(signal ? { signal } : {}) });
    if (sha256Digest(bytes) !== expected.written) {
      throw new FerryError('BUNDLE_INVALID', `${bundle}: the ferry.json on the media is not the one this export wrote (${expected.written}); it is not signed`, { path: bundle });
    }
    manifest = parseBundleManifest(bytes, join(bundle, BUNDLE_FILES.manifest));
  } else {
    const { view } = await readBack(bundle, undefined, signal);
    if (view.ferryJson === undefined || view.manifest === undefined) throw new FerryError('BUNDLE_INVALID', `${bundle} has no ${BUNDLE_FILES.manifest}; it is not signed`, { path: bundle });
    bytes = view.ferryJson;
    manifest = view.manifest;
    if (!sameImages(manifest.images, expected.images)) {
      throw new FerryError('BUNDLE_INVALID', `${bundle} holds a finished bundle whose images are not the ones this export planned (its ferry.json differs); it is not signed`, { path: bundle });
    }
  }
  if (manifest.index === undefined) {
    throw new FerryError(
      'BUNDLE_INVALID',
      `${bundle}: its ${BUNDLE_FILES.manifest} does not pin ${BUNDLE_FILES.index} (made by a Ferry before issue 14), so a signature over it would not cover the whole bundle; export it again into an empty folder to sign it`,
      { path: bundle },
    );
  }
  const signed = await signFerryJson(bytes, { privateKey: key.privateKey, keyId: key.keyId });
  const file = await writeStatement(bundle, statementFileName(key.name, 'export', key.keyId), `${JSON.stringify(signed, null, 2)}\n`);
  const ferryJsonDigest = sha256Digest(bytes);
  catalog.audit('sign', manifest.bundleId, { bundle, file, keyId: key.keyId, keyName: key.name, ferryJsonDigest });
  return { file, keyName: key.name, keyId: key.keyId, ferryJsonDigest };
}
