/**
 * `ferry verify BUNDLE`: proves a bundle is intact before anything is pushed
 * (DESIGN.md decision 5), as a plain-language report a security officer can
 * read: one line per check, then what failed, naming the part, blob or image.
 * The check is the verify use case's; this file prints it.
 */
import { FerryError } from '../../../src-shared/errors.ts';
import { CONTENT_KIND_WORDS, type ListedContent } from '../../../src-shared/model/content-kind.ts';
import type { TrustReport } from '../../../src-shared/model/trust.ts';
import { verifyTrust } from '../../usecases/trust-review.ts';
import { verifyWithTrust, type VerifyReport } from '../../usecases/verify.ts';
import type { CommandIo, CommandSpec, ParsedArgs } from '../args.ts';
import { catalogFlag } from '../catalog-flags.ts';
import { maxNestedPathsFlag, maxNestedPathsOf } from '../nesting-flags.ts';
import { registryFlags, registrySettings } from '../registry-flags.ts';
import { formatBytes } from '../../../src-shared/units.ts';
import { terminalSafe } from '../terminal-text.ts';
import { skippedAtExportLines } from '../keep-going.ts';

/** The flags and help of `ferry verify`. */
export const verifySpec: CommandSpec = {
  name: 'verify',
  usage: 'ferry verify BUNDLE [--policy FILE] [--to REGISTRY[/PREFIX]] [--json]',
  summary: 'Check a bundle (or any OCI layout folder) byte by byte: ferry.json, parts, blobs, image graph and tar safety.',
  flags: {
    json: { type: 'boolean', description: 'print the report as one JSON object on stdout' },
    policy: { type: 'string', value: 'FILE', description: 'judge the bundle by this site policy (default: policy.yaml beside the catalog, when it exists), rule by rule' },
    to: { type: 'string', value: 'REGISTRY[/PREFIX]', description: 'with a policy: the import target, so allowed targets and moved tags are checked too (read only)' },
    'keep-registry-host': { type: 'boolean', description: 'with --to: the import would keep the source host in the path' },
    ...maxNestedPathsFlag('with --to: the import would '),
    ...catalogFlag,
    ...registryFlags(''),
  },
  examples: ['ferry verify /media/usb/bundle', 'ferry verify E:\\bundle --json', 'ferry verify /media/usb/bundle --policy policy.yaml --to mirror.local:5000/ocp'],
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
 * The trust section: the summary, then one line per statement file under
 * signatures/ (what it says and by which key, or why it does not count). The
 * policy's rules, when the site has a policy, follow in formatPolicyVerdict.
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
  if (report.skipped?.length) lines.push(...skippedAtExportLines(report.skipped));
  if (report.trust) lines.push(...trustLines(report.trust));
  const failed = report.checks.filter((c) => !c.ok).length;
  const trust = report.trust ? `, ${terminalSafe(report.trust.summary)}` : '';
  lines.push(report.ok ? `verified: the bundle is intact${trust}` : `NOT VERIFIED: ${failed} of ${report.checks.length} check(s) failed; do not import this bundle`);
  return `${lines.join('\n')}\n`;
}

/** The site policy's verdict as text: the summary, then one line per rule with its findings below it. */
export function formatPolicyVerdict(trust: TrustReport): string {
  const verdict = trust.policy;
  if (verdict === undefined) return '';
  const width = 'FAILED'.length;
  const lines = [`site policy ${terminalSafe(verdict.path)} (${verdict.digest}): ${terminalSafe(trust.summary)}`];
  for (const rule of verdict.rules) {
    lines.push(`  ${(rule.ok ? 'ok' : 'FAILED').padEnd(width)}  ${rule.id}: ${rule.title}`);
    for (const detail of rule.details) lines.push(`            - ${terminalSafe(detail)}`);
  }
  lines.push(verdict.ok ? 'accepted by the site policy' : 'NOT ACCEPTED by the site policy: the import would be refused');
  return `${lines.join('\n')}\n`;
}

/** Runs `ferry verify`; exit 0 when the bundle is intact (and the site policy, if any, accepts it), 1 when not. */
export async function runVerify(args: ParsedArgs, io: CommandIo): Promise<number> {
  const { out } = io;
  const [bundle, ...extra] = args.positionals;
  if (bundle === undefined || extra.length > 0) throw new FerryError('INVALID_ARGUMENT', 'give exactly one bundle folder (see ferry verify --help)');
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  try {
    // Without a policy the report's trust section names the signers, checked with the local keys folder; a policy's report replaces it.
    const { report, view } = await verifyWithTrust(bundle, { signal: controller.signal });
    const text = (name: string): string | undefined => (typeof args.values[name] === 'string' ? args.values[name] : undefined);
    const [policyPath, target, catalogPath] = [text('policy'), text('to'), text('catalog')];
    const maxNestedPaths = maxNestedPathsOf(args.values);
    const trust = view
      ? await verifyTrust(
          view,
          {
            ...(policyPath !== undefined ? { policyPath } : {}),
            ...(catalogPath !== undefined ? { catalogPath } : {}),
            ...(target !== undefined
              ? {
                  target,
                  keepRegistryHost: args.values['keep-registry-host'] === true,
                  ...(maxNestedPaths !== undefined ? { maxNestedPaths } : {}),
                  registry: await registrySettings(args.values, io),
                }
              : {}),
          },
          { signal: controller.signal },
        )
      : undefined;
    if (trust) report.trust = trust;
    const accepted = report.ok && trust?.policy?.ok !== false;
    if (args.values.json === true) out.write(`${JSON.stringify(report, null, 2)}\n`);
    else out.write(formatVerifyReport(report) + (trust ? formatPolicyVerdict(trust) : ''));
    return accepted ? 0 : 1;
  } finally {
    process.removeListener('SIGINT', stop);
  }
}
