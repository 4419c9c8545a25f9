/**
 * The `ferry` command: dispatches to a command, prints errors as one clear
 * line and, when the error carries a hint, the flags that fix it (or a JSON
 * envelope with --json), and maps them to exit codes. Everything it and
 * the commands print passes a TerminalGuard (terminal-text.ts), so no name
 * from a bundle or a registry can drive the terminal.
 *
 * Each command's module is imported only when that command runs: `ferry
 * --version` and `ferry --help` load this file and a few small ones, not the
 * registry client, the catalog and every engine (docs/performance.md,
 * "Start-up"). So the overview's summaries are written here, beside the
 * loader, and tests/unit/cli-commands.test.ts checks each is the one its
 * command's spec shows. bin.mjs checks only this file's static imports for
 * freshness before a --version or --help (build-stamp.mjs): whatever those
 * answers need must stay a static import.
 */
import { ferryVersion } from '../version.ts';
import { toErrorEnvelope } from '../../src-shared/errors.ts';
import { errorLines } from './error-words.ts';
import { TerminalGuard } from './terminal-text.ts';
import { helpText, parseCommandArgs, type CommandIo, type CommandSpec, type ParsedArgs } from './args.ts';

/** A loaded command: its flags and help, and what it does. */
export interface Command {
  spec: CommandSpec;
  run: (args: ParsedArgs, io: CommandIo) => Promise<number>;
}

/** A command before it is loaded: what the overview shows, and how to import it. */
export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<Command>;
}

/** Every command, in the order `ferry --help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'inspect',
    summary: 'Show the digest, media type, platforms, layers and size of an image in a registry, or what a bundle holds (images, files, charts, package repositories).',
    load: () => import('./commands/inspect.ts').then((m) => ({ spec: m.inspectSpec, run: m.runInspect })),
  },
  {
    name: 'ls',
    summary: 'List the repositories of a registry or bundle, the tags of a repository, or the files of an image.',
    load: () => import('./commands/ls.ts').then((m) => ({ spec: m.lsSpec, run: m.runLs })),
  },
  {
    name: 'cat',
    summary: 'Write one file of an image to stdout (its layers applied in order), from a registry or a bundle; every layer is checked against its digest.',
    load: () => import('./commands/cat.ts').then((m) => ({ spec: m.catSpec, run: m.runCat })),
  },
  {
    name: 'copy',
    summary:
      'Copy images between registries with digests preserved; blobs move concurrently across all images. Every source is resolved first: if any cannot be, all of them are listed and nothing is written.',
    load: () => import('./commands/copy.ts').then((m) => ({ spec: m.copySpec, run: m.runCopy })),
  },
  {
    name: 'export',
    summary: 'Write images to a bundle folder on removable media (an OCI layout plus ferry.json), resumable and verifiable.',
    load: () => import('./commands/export.ts').then((m) => ({ spec: m.exportSpec, run: m.runExport })),
  },
  {
    name: 'verify',
    summary: 'Check a bundle (or any OCI layout folder) byte by byte: ferry.json, parts, blobs, image graph and tar safety.',
    load: () => import('./commands/verify.ts').then((m) => ({ spec: m.verifySpec, run: m.runVerify })),
  },
  {
    name: 'import',
    summary: 'Verify a bundle (or any OCI image layout folder) and push it into a registry; nothing is written unless every byte checks out.',
    load: () => import('./commands/import.ts').then((m) => ({ spec: m.importSpec, run: m.runImport })),
  },
  {
    name: 'extract',
    summary: "Verify a bundle and write one artifact's files (files, a package repository, a chart) into a folder.",
    load: () => import('./commands/extract.ts').then((m) => ({ spec: m.extractSpec, run: m.runExtract })),
  },
  {
    name: 'serve',
    summary: 'Run an OCI registry from a store folder or a bundle (or serve a folder read-only over HTTP with --files).',
    load: () => import('./commands/serve.ts').then((m) => ({ spec: m.serveSpec, run: m.runServe })),
  },
  {
    name: 'registry',
    summary:
      'Check what a registry will take before the first push: reachability, TLS and login, write access, the deepest repository path, OCI indexes, manifest lists, artifacts, referrers, repositories on push, deletes.',
    load: () => import('./commands/registry.ts').then((m) => ({ spec: m.registrySpec, run: m.runRegistry })),
  },
  {
    name: 'receipt',
    summary: 'Record a receipt carried back from a disconnected site: what its registry now holds.',
    load: () => import('./commands/receipt.ts').then((m) => ({ spec: m.receiptSpec, run: m.runReceipt })),
  },
  {
    name: 'catalog',
    summary:
      "Show what the catalog recorded: bundles (newest first), a bundle's images and blobs, sites, tag history, monthly totals, the audit log, bundles refused because another ferry.json carried a known id.",
    load: () => import('./commands/catalog.ts').then((m) => ({ spec: m.catalogSpec, run: m.runCatalog })),
  },
  {
    name: 'mirror-config',
    summary: 'Check mirror configuration (registries.conf, IDMS/ITMS/ICSP, containerd hosts.toml) as the runtimes read it: every image resolves to a mirror location that holds its digest.',
    load: () => import('./commands/mirror-config.ts').then((m) => ({ spec: m.mirrorConfigSpec, run: m.runMirrorConfig })),
  },
  {
    name: 'key',
    summary: 'Make, list and export the signing keys bundles are signed and approved with (ECDSA P-256 or Ed25519).',
    load: () => import('./commands/key.ts').then((m) => ({ spec: m.keySpec, run: m.runKey })),
  },
  {
    name: 'approve',
    summary: "Verify a bundle, then sign the officer's approval of it into signatures/ beside ferry.json and record it in the audit log.",
    load: () => import('./commands/approve.ts').then((m) => ({ spec: m.approveSpec, run: m.runApprove })),
  },
  {
    name: 'reject',
    summary: "Verify a bundle, then sign the officer's rejection of it (with the reason) into signatures/ and record it in the audit log.",
    load: () => import('./commands/approve.ts').then((m) => ({ spec: m.rejectSpec, run: m.runReject })),
  },
  {
    name: 'ui',
    summary: 'Open Ferry in a web browser (browser mode): the app on 127.0.0.1 behind a session token.',
    load: () => import('./commands/ui.ts').then((m) => ({ spec: m.uiSpec, run: m.runUi })),
  },
  {
    name: 'demo',
    summary: 'Try Ferry with sample images and nothing external: two local registries, then export, verify, inspect, import and mirror configuration.',
    load: () => import('./commands/demo.ts').then((m) => ({ spec: m.demoSpec, run: m.runDemo })),
  },
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: ferry COMMAND [flags]',
    '',
    'Ferry carries OCI container images across air gaps on removable media.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Flags:',
    '  --help     show help (also: ferry COMMAND --help)',
    '  --version  print the version',
    '',
  ].join('\n');
}

/** Runs the CLI with `argv` (without node and script) and returns the process exit code; `input` stands in for process.stdin (tests). */
export async function main(argv: string[], rawOut: NodeJS.WritableStream = process.stdout, rawErr?: NodeJS.WritableStream, input?: NodeJS.ReadableStream): Promise<number> {
  const out = new TerminalGuard(rawOut);
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out.write(overview());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    out.write(`ferry ${ferryVersion()}\n`);
    return 0;
  }
  // Past --version and --help only: Node builds process.stderr on first use (a socket on a pipe, a tty stream on a
  // terminal), which those two answers never need (docs/performance.md, "Start-up").
  const err = new TerminalGuard(rawErr ?? process.stderr);
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    err.write(`ferry: unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})\n`);
    return 2;
  }
  const wantsJson = rest.includes('--json');
  try {
    const command = await entry.load();
    const args = parseCommandArgs(rest, command.spec);
    if (args.values.help === true) {
      out.write(helpText(command.spec));
      return 0;
    }
    return await command.run(args, { out, err, ...(input ? { input } : {}) });
  } catch (error) {
    const envelope = toErrorEnvelope(error);
    err.write(errorLines(name, envelope));
    if (wantsJson) out.write(`${JSON.stringify({ error: envelope }, null, 2)}\n`);
    return envelope.code === 'INVALID_ARGUMENT' || envelope.code === 'INVALID_REFERENCE' ? 2 : 1;
  }
}
