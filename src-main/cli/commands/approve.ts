/**
 * `ferry approve BUNDLE --key KEY` and `ferry reject BUNDLE --key KEY --note
 * TEXT`: an officer's signed decision on a bundle (docs/trust.md
 * "Approvals"). The passphrase comes from a private file or is typed on a
 * terminal without echo, never from a flag value. The work is the approve
 * use case's; this file parses flags and prints what was written.
 */
import { join } from 'node:path';
import { FerryError } from '../../../src-shared/errors.ts';
import type { SignatureFinding } from '../../../src-shared/model/trust.ts';
import { decideBundle, type Decision } from '../../usecases/approve.ts';
import type { CommandIo, CommandSpec, FlagSpec, ParsedArgs } from '../args.ts';
import { catalogFlag, withCatalog } from '../catalog-flags.ts';
import { runJob } from '../job.ts';
import { existingPassphrase } from '../passphrase.ts';
import { shown } from '../terminal-text.ts';

/** The flags both decisions take. */
function decisionFlags(decision: Decision): Record<string, FlagSpec> {
  return {
    key: { type: 'string', value: 'KEY', description: "the signing key: a name in the keys folder, or a path to a .key file (required); the decision's file is named after it" },
    'passphrase-file': {
      type: 'string',
      value: 'FILE',
      description: "a file holding the key's passphrase (one line; refused if other users can read it, chmod 600). Without it the passphrase is typed on the terminal",
    },
    note: {
      type: 'string',
      value: 'TEXT',
      description: decision === 'reject' ? 'why the bundle is rejected (required)' : 'a note for the record (what was checked, a ticket number)',
    },
    ...(decision === 'approve'
      ? {
          'allow-rollback': { type: 'boolean', description: "allow the import even though the bundle's sequence is not higher than the channel's last one (a deliberate rollback)" } satisfies FlagSpec,
        }
      : {}),
    reviewer: { type: 'string', value: 'NAME', description: "the reviewer's name written into the statement (default: the key's name)" },
    policy: { type: 'string', value: 'FILE', description: 'the site policy the decision is made against (default: policy.yaml beside the catalog, when it exists)' },
    'keys-dir': { type: 'string', value: 'DIR', description: "the keys folder a key name is looked up in (default: keys/ in Ferry's data folder)" },
    ...catalogFlag,
    json: { type: 'boolean', description: 'print the written statement as JSON on stdout' },
  };
}

/** The flags and help of `ferry approve`. */
export const approveSpec: CommandSpec = {
  name: 'approve',
  usage: 'ferry approve BUNDLE --key KEY [--passphrase-file FILE] [--note TEXT] [--allow-rollback] [--reviewer NAME] [--policy FILE] [--keys-dir DIR] [--json]',
  summary: "Verify a bundle, then sign the officer's approval of it into signatures/ beside ferry.json and record it in the audit log.",
  flags: decisionFlags('approve'),
  examples: ['ferry approve /media/usb/bundle --key officer-1 --note "CHG-1234 reviewed"', 'ferry approve ./bundle --key ./officer-1.key --passphrase-file ~/.ferry-pass'],
};

/** The flags and help of `ferry reject`. */
export const rejectSpec: CommandSpec = {
  name: 'reject',
  usage: 'ferry reject BUNDLE --key KEY --note TEXT [--passphrase-file FILE] [--reviewer NAME] [--policy FILE] [--keys-dir DIR] [--json]',
  summary: "Verify a bundle, then sign the officer's rejection of it (with the reason) into signatures/ and record it in the audit log.",
  flags: decisionFlags('reject'),
  examples: ['ferry reject /media/usb/bundle --key officer-1 --note "image quay.io/org/app:v2 not cleared"'],
};

/** A string flag's value, or undefined. */
function stringFlag(values: ParsedArgs['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** What was written, for people: the decision, the key and the file, then what the record holds. */
function describe(finding: SignatureFinding, decision: Decision, bundle: string): string {
  const lines = [
    shown`${decision === 'approve' ? 'approved' : 'rejected'} ${bundle} with key ${finding.keyName ?? ''} (${finding.keyId})`,
    shown`  wrote ${join(bundle, finding.file)}`,
    shown`  reviewer ${finding.reviewer ?? ''}, ${finding.time ?? ''}`,
  ];
  if (finding.note !== undefined) lines.push(shown`  note: ${finding.note}`);
  lines.push(finding.policyDigest === undefined ? '  no site policy: the statement names none' : shown`  policy ${finding.policyDigest}`);
  if (finding.allowRollback === true) lines.push('  allows a rollback to this bundle');
  lines.push('  recorded in the catalog audit log');
  return `${lines.join('\n')}\n`;
}

/** Runs one decision: checks the arguments, asks for the passphrase, then verifies, signs, writes and records. */
async function runDecision(decision: Decision, args: ParsedArgs, io: CommandIo): Promise<number> {
  const command = `ferry ${decision}`;
  const [bundle, ...extra] = args.positionals;
  if (bundle === undefined || extra.length > 0) throw new FerryError('INVALID_ARGUMENT', `give exactly one bundle folder (see ${command} --help)`);
  const key = stringFlag(args.values, 'key');
  if (key === undefined || key === '')
    throw new FerryError('INVALID_ARGUMENT', `--key KEY is required: the key name or .key file to sign the ${decision === 'approve' ? 'approval' : 'rejection'} with`);
  const note = stringFlag(args.values, 'note');
  if (decision === 'reject' && (note === undefined || note.trim() === '')) {
    throw new FerryError('INVALID_ARGUMENT', 'ferry reject needs --note TEXT saying why the bundle is rejected');
  }
  const passphrase = await existingPassphrase(args.values, io, key, command);
  const reviewer = stringFlag(args.values, 'reviewer');
  const policyPath = stringFlag(args.values, 'policy');
  const keysDir = stringFlag(args.values, 'keys-dir');
  const finding = await withCatalog(args.values, (catalog) =>
    runJob(command, io.err, async (job) => {
      const result = await decideBundle(
        {
          bundle,
          key,
          passphrase,
          decision,
          ...(note !== undefined ? { note } : {}),
          allowRollback: args.values['allow-rollback'] === true,
          ...(reviewer !== undefined ? { reviewer } : {}),
          ...(policyPath !== undefined ? { policyPath } : {}),
          ...(keysDir !== undefined ? { keysDir } : {}),
        },
        catalog,
        { signal: job.signal, tracker: job.tracker },
      );
      job.endProgress();
      return result;
    }),
  );
  if (finding.policyDigest !== undefined && finding.role !== 'officer') {
    io.err.write(shown`ferry: warning: the site policy does not trust key ${finding.keyName ?? finding.keyId} as an officer; this decision will not count towards its approvals\n`);
  }
  io.out.write(args.values.json === true ? `${JSON.stringify(finding, null, 2)}\n` : describe(finding, decision, bundle));
  return 0;
}

/** Runs `ferry approve`; exit 0 when the approval was written and recorded. */
export async function runApprove(args: ParsedArgs, io: CommandIo): Promise<number> {
  return runDecision('approve', args, io);
}

/** Runs `ferry reject`; exit 0 when the rejection was written and recorded. */
export async function runReject(args: ParsedArgs, io: CommandIo): Promise<number> {
  return runDecision('reject', args, io);
}
