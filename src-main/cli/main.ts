/**
 * The `ferry` command: dispatches to a command, prints errors as one clear
 * line and, when the error carries a hint, the flags that fix it (or a JSON
 * envelope with --json), and maps them to exit codes. Everything it and
 * the commands print passes a TerminalGuard (terminal-text.ts), so no name
 * from a bundle or a registry can drive the terminal.
 */
import { ferryVersion } from '../version.ts';
import { toErrorEnvelope } from '../../src-shared/errors.ts';
import { errorLines } from './error-words.ts';
import { TerminalGuard } from './terminal-text.ts';
import { helpText, parseCommandArgs, type CommandIo, type CommandSpec, type ParsedArgs } from './args.ts';
import { copySpec, runCopy } from './commands/copy.ts';
import { inspectSpec, runInspect } from './commands/inspect.ts';
import { exportSpec, runExport } from './commands/export.ts';
import { verifySpec, runVerify } from './commands/verify.ts';
import { importSpec, runImport } from './commands/import.ts';
import { catalogSpec, runCatalog } from './commands/catalog.ts';
import { receiptSpec, runReceipt } from './commands/receipt.ts';
import { uiSpec, runUi } from './commands/ui.ts';
import { extractSpec, runExtract } from './commands/extract.ts';
import { serveSpec, runServe } from './commands/serve.ts';
import { lsSpec, runLs } from './commands/ls.ts';
import { catSpec, runCat } from './commands/cat.ts';
import { keySpec, runKey } from './commands/key.ts';
import { approveSpec, rejectSpec, runApprove, runReject } from './commands/approve.ts';

interface Command {
  spec: CommandSpec;
  run: (args: ParsedArgs, io: CommandIo) => Promise<number>;
}

/** Every command, in the order `ferry --help` lists them. */
const COMMANDS: Command[] = [
  { spec: inspectSpec, run: runInspect },
  { spec: lsSpec, run: runLs },
  { spec: catSpec, run: runCat },
  { spec: copySpec, run: runCopy },
  { spec: exportSpec, run: runExport },
  { spec: verifySpec, run: runVerify },
  { spec: importSpec, run: runImport },
  { spec: extractSpec, run: runExtract },
  { spec: serveSpec, run: runServe },
  { spec: receiptSpec, run: runReceipt },
  { spec: catalogSpec, run: runCatalog },
  { spec: keySpec, run: runKey },
  { spec: approveSpec, run: runApprove },
  { spec: rejectSpec, run: runReject },
  { spec: uiSpec, run: runUi },
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length));
  return [
    'Usage: ferry COMMAND [flags]',
    '',
    'Ferry carries OCI container images across air gaps on removable media.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}  ${c.spec.summary}`),
    '',
    'Flags:',
    '  --help     show help (also: ferry COMMAND --help)',
    '  --version  print the version',
    '',
  ].join('\n');
}

/** Runs the CLI with `argv` (without node and script) and returns the process exit code; `input` stands in for process.stdin (tests). */
export async function main(argv: string[], rawOut: NodeJS.WritableStream = process.stdout, rawErr: NodeJS.WritableStream = process.stderr, input?: NodeJS.ReadableStream): Promise<number> {
  const out = new TerminalGuard(rawOut);
  const err = new TerminalGuard(rawErr);
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out.write(overview());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    out.write(`ferry ${ferryVersion()}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (!command) {
    err.write(`ferry: unknown command "${name}" (commands: ${COMMANDS.map((c) => c.spec.name).join(', ')})\n`);
    return 2;
  }
  const wantsJson = rest.includes('--json');
  try {
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
