/**
 * The `Procfile` convention (Heroku's, also used by Dokku, Render and others): lines of
 * `<process type>: <command>`; the `web` process is the service, told its port by `$PORT`.
 * The command is a shell command line by definition, so it is run as `sh -c` inside the
 * candidate's sandbox, never on the worker (it is the candidate's code, in the candidate's box).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isRegularFile } from './files.ts';

export const PROCFILE = 'Procfile';
/** Larger than any real Procfile; a bigger one is not read. */
const MAX_BYTES = 64 * 1024;

/** The `web:` command of a Procfile's text, or undefined when it has none. Pure. */
export function webCommand(text: string): string | undefined {
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z0-9_-]+)\s*:\s*(.*?)\s*$/.exec(line);
    if (m && m[1] === 'web' && m[2]) return m[2];
  }
  return undefined;
}

/** The web command of dir/Procfile (a regular file, never a symlink), if there is one. */
export async function readProcfileWeb(dir: string): Promise<string | undefined> {
  const file = path.join(dir, PROCFILE);
  if (!(await isRegularFile(file))) return undefined;
  const bytes = await readFile(file);
  if (bytes.length > MAX_BYTES) return undefined;
  return webCommand(bytes.toString('utf8'));
}

/**
 * argv running a Procfile command as Heroku does: through sh, with the project's own
 * node_modules/.bin first on PATH for Node (as the Node buildpack does). The command stays one
 * argv element ($1): nothing is spliced into the wrapper.
 */
export function procfileArgv(command: string, runtime: 'node' | 'python'): string[] {
  if (runtime !== 'node') return ['sh', '-c', command];
  return ['sh', '-c', 'PATH="/workspace/node_modules/.bin:$PATH"; export PATH; exec sh -c "$1"', 'Procfile', command];
}
