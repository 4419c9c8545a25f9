/**
 * The shape of `ferry verify`'s report and the recorder the checks write
 * their problems into: plain-language problems per check, in the order of
 * DESIGN.md "Bundle verification checks", bounded so a hostile bundle cannot
 * grow the report without limit.
 */
import { FerryError, type ErrorCode } from '../../src-shared/errors.ts';
import type { ListedContent } from '../../src-shared/model/content-kind.ts';
import type { BundleSkipped } from '../../src-shared/model/bundle.ts';
import type { TrustReport } from '../../src-shared/model/trust.ts';
import { LAYOUT_INDEX_LIMIT } from '../../src-shared/schemas/oci.ts';
import type { SafeFile } from '../base/safe-file.ts';
import type { BlobRef, BlobSink } from '../oci/blob-io.ts';

/** The checks, in the order the report lists them. */
export const CHECK_ORDER = ['schema', 'parts', 'blobs', 'graph', 'tar-safety', 'files'] as const;

/** One check's id. */
export type VerifyCheckId = (typeof CHECK_ORDER)[number];

/** One check as reported: what was checked, whether it passed, and each problem naming the part, blob, file or image. */
export interface VerifyCheck {
  id: VerifyCheckId;
  title: string;
  ok: boolean;
  problems: string[];
}

/** The whole report of `verifyBundle` and `ferry verify --json`. */
export interface VerifyReport {
  ok: boolean;
  bundle: string;
  form?: 'directory' | 'archive' | 'oci-layout';
  bundleId?: string;
  checks: VerifyCheck[];
  images: number;
  blobs: number;
  bytes: number;
  /** A partial bundle (`--keep-going` export): the references its ferry.json says it left out, with their reasons. */
  skipped?: BundleSkipped[];
  /** When every check passed: what the bundle holds, images beside files, charts and package repositories, with sizes. */
  contents?: ListedContent[];
  /** When every check passed and the verify use case was asked: signers, approvals and rejections (usecases/bundle-trust.ts), and the policy's verdict if any. */
  trust?: TrustReport;
}

/** Options of verifyBundle. */
export interface VerifyOptions {
  /** Cancels the read; verifyBundle then throws CANCELLED. */
  signal?: AbortSignal;
  /** Called with every chunk's length as bytes are read (parts or blob files), for progress. */
  onBytes?: (bytes: number) => void;
  /** Called once, before the first byte is read, with the bytes the pass will read (the parts, or the blob files), for progress. */
  onTotal?: (bytes: number) => void;
  /**
   * Where a caller keeps each blob file's verified bytes as this pass reads
   * them (directory bundles and OCI layouts; an archive's parts are not blob
   * files): an import into a local store reads the media once instead of
   * twice. The sink gets the same verified content a check reads (its last
   * chunk only once digest and size matched) and must read all of it; an
   * error it throws counts against the blob. A keeper that can copy the file
   * whole (BlobKeeper.copyFrom) is asked first.
   */
  keepBlob?: (blob: BlobRef) => BlobKeeper;
  /** Archive form: hash the parts on a second thread (true) or on this one (false); by the archive's size when not given. For tests of both ways. */
  hashThread?: boolean;
}

/**
 * A caller's keeper of one blob file (VerifyOptions.keepBlob): a sink for
 * the verified bytes as this pass streams them, and optionally a faster way
 * for a large file on a local disk — copy it whole without the bytes passing
 * through the process, then let this pass check the copy's bytes, so what is
 * kept is exactly what was checked.
 */
export interface BlobKeeper extends BlobSink {
  /**
   * Copies the opened (safely, regular) bundle file into the keeper's own
   * file and returns that copy for checking, or undefined when it does not
   * (then the file is streamed into the sink as usual; any failure of the
   * copy itself also ends so, the stream telling the bundle's faults from
   * the keeper's).
   */
  copyFrom?(file: SafeFile, signal?: AbortSignal): Promise<KeptCopy | undefined>;
}

/** A keeper's copy of a blob file, to be checked before it counts. */
export interface KeptCopy {
  /** The copy's bytes from its start. Chunks may be reused once the next one is asked for: a check inspects each as it comes. */
  bytes(): AsyncIterable<Uint8Array>;
  /**
   * The check's verdict: true keeps the copy (it matched digest and size),
   * false removes it. Called exactly once, also when reading it failed.
   */
  settle(matched: boolean): Promise<void>;
}

/** Titles of the checks as the report shows them. */
export const CHECK_TITLES: Record<VerifyCheckId, string> = {
  schema: 'ferry.json parses and matches the bundle schema',
  parts: "every part's size and sha256 match ferry.json",
  blobs: "every blob's size and digest match",
  graph: 'every image is complete and nothing unlisted is present',
  'tar-safety': 'the archive holds only plain files with allowed names',
  files: 'the bundle folder holds only what a bundle holds',
};

/** Leftovers a kill can leave beside a finished bundle (the export journal, durable-write temps); they hold nothing a reader uses. */
export const TOLERATED_LEFTOVER = /^(\.ferry-export\.json|ferry-receipt\.json|.+\.tmp-[0-9a-f]+)$/;

/** index.json of even a huge bundle is far below this; more is an attack on the reader's memory. */
export const INDEX_LIMIT = LAYOUT_INDEX_LIMIT;

/** A report stays readable and bounded: past this many problems a check only counts the rest. */
const MAX_PROBLEMS_PER_CHECK = 100;

interface Recorded {
  title: string;
  problems: string[];
  codes: ErrorCode[];
  more: number;
}

/** Collects problems per check while the checks run, in any order; `checks()` lists them in report order. */
export class CheckRecorder {
  private readonly recorded = new Map<VerifyCheckId, Recorded>();

  /** Declares that a check runs (so it is reported even when it passes). */
  open(id: VerifyCheckId, title: string = CHECK_TITLES[id]): void {
    if (!this.recorded.has(id)) this.recorded.set(id, { title, problems: [], codes: [], more: 0 });
  }

  /** Records a problem under a check; the code is what readBack throws if this is the first problem (a bad bundle unless said otherwise). */
  fail(id: VerifyCheckId, message: string, code: ErrorCode = 'BUNDLE_INVALID'): void {
    this.open(id);
    const check = this.recorded.get(id) as Recorded;
    if (check.problems.length >= MAX_PROBLEMS_PER_CHECK) {
      check.more += 1;
      return;
    }
    check.problems.push(message);
    check.codes.push(code);
  }

  /** True when a check has recorded a problem. */
  failed(id: VerifyCheckId): boolean {
    return (this.recorded.get(id)?.problems.length ?? 0) > 0;
  }

  /** The checks that ran, in report order. */
  checks(): VerifyCheck[] {
    return CHECK_ORDER.flatMap((id) => {
      const check = this.recorded.get(id);
      if (!check) return [];
      const problems = check.more > 0 ? [...check.problems, `… and ${check.more} more`] : [...check.problems];
      return [{ id, title: check.title, ok: problems.length === 0, problems }];
    });
  }

  /** The first problem in `priority` order of checks, as the error readBack throws. */
  firstError(priority: readonly VerifyCheckId[]): FerryError | undefined {
    for (const id of priority) {
      const check = this.recorded.get(id);
      const message = check?.problems[0];
      if (check && message !== undefined) return new FerryError(check.codes[0] ?? 'BUNDLE_INVALID', message, { check: id, problems: check.problems.length + check.more });
    }
    return undefined;
  }
}

/**
 * The error for a bundle that did not pass verification, naming every failed
 * check and its first problems; `consequence` says what was not done.
 */
export function verificationFailed(report: VerifyReport, consequence: string): FerryError {
  const problems = report.checks.flatMap((check) => check.problems.map((problem) => `${check.title}: ${problem}`));
  const failed = report.checks.filter((check) => !check.ok).map((check) => check.id);
  return new FerryError(
    'BUNDLE_INVALID',
    `${report.bundle} failed verification (${failed.join(', ') || 'nothing could be checked'}); ${consequence}:\n  ${problems.slice(0, 10).join('\n  ')}${problems.length > 10 ? `\n  … and ${problems.length - 10} more` : ''}`,
    { problems, checks: failed },
  );
}

/** Turns an aborted signal into the CANCELLED error every job reports. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new FerryError('CANCELLED', 'bundle verification was cancelled');
}
