/**
 * `ferry verify BUNDLE`: proves a bundle is intact before anything is pushed
 * (DESIGN.md decision 5), as a plain-language report a security officer can
 * read: one line per check, then what failed, naming the part, blob or image.
 * The check is the verify use case's; this file prints it.
 */
import { FerryError } from '../../../src-shared/errors.ts';
import { CONTENT_KIND_WORDS, type ListedContent } from '../../../src-shared/model/content-kind.ts';
import type { TrustReport } from '../../../src-shared/model/trust.ts';
import { runVerify as verifyBundle, type VerifyReport } from '../../usecases/verify.ts';
import type { CommandIo, CommandSpec, ParsedArgs } from '../args.ts';
import { formatBytes } from '../../../src-shared/units.ts';
import { terminalSafe } from '../terminal-text.ts';

/** The flags and help of `ferry verify`. */
export const verifySpec: CommandSpec = {
  name: 'verify',
  usage: 'ferry verify BUNDLE [--json]',
  summary: 'Check a bundle (or any OCI layout folder) byte by byte: ferry.json, parts, blobs, image graph and tar safety.',
  flags: {
    json: { type: 'boolean', description: 'print the report as one JSON object on stdout' },
  },
  examples: ['ferry verify /media/usb/bundle', 'ferry verify E:\\bundle --json'],
};

/** Images listed one by one up to this many; past it, one line counts them (a 20,000-image bundle's report stays readable). */
const IMAGES_LISTED = 50;
/** File titles shown per artifact. */
const TITLES_SHOWN = 3;

/** What the bundle holds: artifacts (files, charts, package repositories) each with its size and files, beside the images. */
export function contentLines(contents: readonly ListedContent[]): string[] {
  const images = contents.filter((c) => c.kind === 'image');
  const artifacts = contents.filter((c) => c.kind !== 'image');
  const width = Math.max(...contents.map((c) => CONTENT_KIND_WORDS[c.kind].length));
  const line = (c: ListedContent): string => {
    const files = c.files ?? [];
    const titles = files.slice(0, TITLES_SHOWN).map((f) => f.title);
    const more = files.length > TITLES_SHOWN ? `, … ${files.length - TITLES_SHOWN} more` : '';
    const detail = c.kind === 'image' ? '' : `  (${files.length} file${files.length === 1 ? '' : 's'}: ${titles.join(', ')}${more})`;
    return `  ${CONTENT_KIND_WORDS[c.kind].padEnd(width)}  ${terminalSafe(c.name)}  ${formatBytes(c.size)}${terminalSafe(detail)}`;
  };
  const lines = ['contents:'];
  if (images.length <= IMAGES_LISTED) lines.push(...images.map(line));
  else lines.push(`  ${images.length} images, ${formatBytes(images.reduce((sum, c) => sum + c.size, 0))}`);
  lines.push(...artifacts.map(line));
  return lines;
}

/** Words for what a statement says. */
const STATEMENT_WORDS = { export: 'signed', approval: 'approved', rejection: 'REJECTED' } as const;

/**
 * The trust section: the summary, then one line per statement file (what it
 * says and by which key, or why it does not count), then the policy's rules
 * when the site has a policy.
 */
export function trustLines(trust: TrustReport): string[] {
  const lines = [`trust: ${terminalSafe(trust.summary)}`];
  for (const finding of trust.signatures) {
    const who = `${finding.keyName ?? 'unknown key'}${finding.role ? ` (${finding.role})` : ''} ${finding.keyId}`.trim();
    if (finding.ok && finding.kind) {
      const note = finding.note !== undefined ? `: ${finding.note}` : '';
      lines.push(`  ok      ${terminalSafe(`${STATEMENT_WORDS[finding.kind]} by ${who}${finding.time ? ` at ${finding.time}` : ''}${note}  (${finding.file})`)}`);
    } else {
      lines.push(`  FAILED  ${terminalSafe(`${finding.file}: ${finding.problem ?? 'does not verify'}`)}`);
    }
  }
  if (trust.policy) {
    lines.push(`policy ${terminalSafe(trust.policy.path)} (${trust.policy.digest}): ${trust.policy.ok ? 'passed' : 'FAILED'}`);
    for (const rule of trust.policy.rules) {
      lines.push(`  ${rule.ok ? 'ok    ' : 'FAILED'}  ${terminalSafe(rule.title)}`);
      for (const detail of rule.details) lines.push(`            - ${terminalSafe(detail)}`);
    }
  }
  return lines;
}

/** The report as text: a summary line, one line per check, each problem indented below its check. */
export function formatVerifyReport(report: VerifyReport): string {
  const what = report.form === undefined ? 'unreadable bundle' : `${report.form}${report.bundleId ? ` bundle ${terminalSafe(report.bundleId)}` : ''}`;
  const lines = [`${terminalSafe(report.bundle)}: ${what}, ${report.images} image(s), ${report.blobs} blob(s), ${formatBytes(report.bytes)} checked`];
  const width = 'FAILED'.length;
  for (const check of report.checks) {
    lines.push(`  ${(check.ok ? 'ok' : 'FAILED').padEnd(width)}  ${check.title}`);
    // A problem is one line: a newline in it comes from a name on the media and is shown as \n, so it cannot forge a line of the report.
    for (const problem of check.problems) lines.push(`            - ${terminalSafe(problem)}`);
  }
  if (report.form === undefined) lines.push('          (the other checks need a readable ferry.json and were not run)');
  if (report.contents?.length) lines.push(...contentLines(report.contents));
  if (report.trust) lines.push(...trustLines(report.trust));
  const failed = report.checks.filter((c) => !c.ok).length;
  const trust = report.trust ? `, ${terminalSafe(report.trust.summary)}` : '';
  lines.push(report.ok ? `verified: the bundle is intact${trust}` : `NOT VERIFIED: ${failed} of ${report.checks.length} check(s) failed; do not import this bundle`);
  return `${lines.join('\n')}\n`;
}

/** Runs `ferry verify`; exit 0 when the bundle is intact, 1 when it is not. */
export async function runVerify(args: ParsedArgs, { out }: CommandIo): Promise<number> {
  const [bundle, ...extra] = args.positionals;
  if (bundle === undefined || extra.length > 0) throw new FerryError('INVALID_ARGUMENT', 'give exactly one bundle folder (see ferry verify --help)');
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  try {
    const report = await verifyBundle(bundle, { signal: controller.signal });
    out.write(args.values.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatVerifyReport(report));
    return report.ok ? 0 : 1;
  } finally {
    process.removeListener('SIGINT', stop);
  }
}
