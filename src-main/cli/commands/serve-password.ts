/**
 * `ferry serve password set|delete --user NAME [--credential-helper NAME]`:
 * puts the registry's one password into the system keychain (or takes it
 * out) for `ferry serve --user NAME --password-keychain`, so the operator
 * types it once and a restart reads it without a person. The password comes
 * from standard input (or --password-file), never from a flag value, and is
 * never printed; what is printed names the helper and the key.
 */
import { FerryError } from '../../../src-shared/errors.ts';
import type { CommandIo, ParsedArgs } from '../args.ts';
import { readAll, readPrivateFile, withoutTrailingNewline } from '../login-flags.ts';
import { shown } from '../terminal-text.ts';

/** The usage of the password verbs, repeated in every refusal. */
const USAGE = 'usage: ferry serve password set|delete --user NAME [--credential-helper NAME] (set reads the password from standard input or --password-file FILE)';

/** The new password: standard input by default (one trailing newline dropped), or a private file. */
async function newPassword(values: ParsedArgs['values'], io: CommandIo): Promise<string> {
  const file = typeof values['password-file'] === 'string' ? values['password-file'] : undefined;
  if (file !== undefined && values['password-stdin'] === true) throw new FerryError('INVALID_ARGUMENT', 'give the password by one of --password-stdin or --password-file FILE');
  if (file !== undefined) return withoutTrailingNewline(await readPrivateFile(file, '--password-file'));
  const input = io.input ?? process.stdin;
  // A person at a terminal would otherwise wait on a silent prompt.
  if ('isTTY' in input && input.isTTY)
    io.err.write(`ferry: type the password, then Enter and ${process.platform === 'win32' ? 'Ctrl-Z, Enter' : 'Ctrl-D'} (it is shown as typed; pipe it in to avoid that)\n`);
  return withoutTrailingNewline(await readAll(input, 'standard input'));
}

/** Runs `ferry serve password VERB`; `rest` is what follows `password`. */
export async function runServePassword(rest: readonly string[], values: ParsedArgs['values'], io: CommandIo): Promise<number> {
  const [verb, ...extra] = rest;
  const user = typeof values.user === 'string' ? values.user : undefined;
  if ((verb !== 'set' && verb !== 'delete') || extra.length > 0 || user === undefined) throw new FerryError('INVALID_ARGUMENT', USAGE);
  const helper = typeof values['credential-helper'] === 'string' ? values['credential-helper'] : undefined;
  const options = helper !== undefined ? { helper } : {};
  const { deleteServePassword, storeServePassword } = await import('../../usecases/serve-keychain.ts');
  if (verb === 'delete') {
    if (values['password-stdin'] !== undefined || values['password-file'] !== undefined) throw new FerryError('INVALID_ARGUMENT', 'ferry serve password delete reads no password');
    const entry = await deleteServePassword(user, options);
    io.out.write(shown`deleted the password of user ${user} from ${entry.program} (key ${entry.key})\n`);
    return 0;
  }
  const entry = await storeServePassword(user, await newPassword(values, io), options);
  io.out.write(
    shown`stored the password of user ${user} in ${entry.program} (key ${entry.key}); start with: ferry serve … --user ${user} --password-keychain${helper !== undefined ? ` --credential-helper ${helper}` : ''}\n`,
  );
  return 0;
}
