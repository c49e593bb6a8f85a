/**
 * Reading a new password for `mieruka user`: typed twice at a hidden terminal prompt, or one
 * line from stdin (`--password-stdin`, for scripts). Never from the command line, where it
 * would end up in the shell history and in `ps` for every local user to see.
 */

export type PasswordSource = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(raw: boolean): unknown };

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;
/** A password line longer than this is not a password; stop reading. */
const MAX_LINE_BYTES = 4096;

export class PasswordInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PasswordInputError';
  }
}

function checkLength(password: string): string {
  if (password.length < MIN_PASSWORD_LENGTH) throw new PasswordInputError(`the password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) throw new PasswordInputError(`the password may have at most ${MAX_PASSWORD_LENGTH} characters`);
  return password;
}

/** The first line of the stream (without its line end), or everything up to EOF. */
export function readLine(input: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.pause();
      if (error) reject(error);
      else resolve(text.replace(/\r?\n[\s\S]*$/, '').replace(/\r$/, ''));
    };
    const onData = (chunk: Buffer | string) => {
      text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      if (text.includes('\n')) finish();
      else if (Buffer.byteLength(text) > MAX_LINE_BYTES) finish(new PasswordInputError('stdin holds more than one line of 4 KiB; send just the password'));
    };
    const onEnd = () => finish();
    const onError = (err: Error) => finish(err);
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', onError);
    input.resume();
  });
}

/** One hidden line from a terminal: raw mode, nothing echoed, backspace works, Ctrl-C / Ctrl-D cancel. */
export function promptHidden(prompt: string, input: PasswordSource, output: NodeJS.WritableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    output.write(prompt);
    input.setRawMode?.(true);
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.setRawMode?.(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || (ch === '\u0004' && text === '')) return finish(new PasswordInputError('cancelled'));
        if (ch === '\u007f' || ch === '\b') text = [...text].slice(0, -1).join('');
        else if (ch >= ' ') text += ch;
        if (text.length > MAX_PASSWORD_LENGTH) return finish(new PasswordInputError(`the password may have at most ${MAX_PASSWORD_LENGTH} characters`));
      }
    };
    input.on('data', onData);
    input.resume();
  });
}

/**
 * The new password: from stdin when asked to, else from a hidden prompt typed twice. Without
 * a terminal and without --password-stdin there is no safe way to ask, so it says how.
 */
export async function readNewPassword(options: { input: PasswordSource | undefined; output: NodeJS.WritableStream | undefined; fromStdin: boolean; who: string }): Promise<string> {
  const { input, output } = options;
  if (!input) throw new PasswordInputError('no standard input to read the password from');
  if (options.fromStdin) return checkLength(await readLine(input));
  if (!input.isTTY || !input.setRawMode || !output) {
    throw new PasswordInputError('stdin is not a terminal: pipe the password in and add --password-stdin (e.g. `mieruka user add alice --password-stdin < file`)');
  }
  const first = checkLength(await promptHidden(`New password for ${options.who}: `, input, output));
  const second = await promptHidden('Type it again: ', input, output);
  if (first !== second) throw new PasswordInputError('the two passwords differ; nothing changed');
  return first;
}
