/**
 * What planning can tell about the start command's own scripts before anything runs. A shell
 * script saved with Windows line endings fails in ways that name neither the file nor the cause
 * (`set: Illegal option -`, `$'\r': command not found`), so the start step's reason says it
 * when the service does not start. So does a command line that fixes the port itself over the
 * PORT the grader gives (`PORT=3000 node server.js`), one that reads an env file the repository
 * does not have, a package npx would download, and a lifecycle script that would have built the
 * project elsewhere.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isRegularFileWithin } from './files.ts';

/** Larger than any start script; a bigger file is not read. */
const MAX_SCRIPT_BYTES = 64 * 1024;

/** The repository paths a shell command line names as words (`sh ./start.sh`, `bin/run`). Pure. */
export function namedPaths(command: string): string[] {
  const words = command.split(/[\s;&|()'"`]+/).map((w) => w.replace(/^\.\//, ''));
  return [...new Set(words.filter((w) => /^[\w.-]+(?:\/[\w.-]+)*$/.test(w) && !w.split('/').includes('..')))];
}

/** Whether `bytes` are a script (shebang or a .sh/.bash name) with Windows (CRLF) line endings. Pure. */
export function isCrlfScript(name: string, bytes: Buffer): boolean {
  const script = /\.(?:sh|bash)$/.test(name) || bytes.subarray(0, 2).toString('latin1') === '#!';
  return script && bytes.includes('\r\n');
}

/** The port a command line fixes for itself (`PORT=3000 node ...`, `--port 5000`), if any. Pure. */
export function fixedPort(command: string): string | undefined {
  const m = /(?:^|[\s;&|])(?:export\s+)?PORT=['"]?(\d+)\b|\s--port[=\s]+['"]?(\d+)\b/.exec(command);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** Lifecycle scripts of the project that npm runs around an install and Assay does not. */
const SKIPPED_LIFECYCLE = ['preinstall', 'install', 'postinstall', 'prepare', 'heroku-postbuild'] as const;

/**
 * Without a build script, the first lifecycle script that would have built the project where
 * npm or Heroku runs them (`"postinstall": "tsc"`): the install runs none. Pure.
 */
export function skippedLifecycleHint(pkg: unknown): string | undefined {
  const scripts = (pkg as { scripts?: Record<string, unknown> } | null)?.scripts;
  if (!scripts || typeof scripts !== 'object' || typeof scripts.build === 'string') return undefined;
  const name = SKIPPED_LIFECYCLE.find((n) => typeof scripts[n] === 'string' && scripts[n].trim() !== '');
  if (!name) return undefined;
  return `package.json's "${name}" script (${JSON.stringify(String(scripts[name]).slice(0, 80))}) was not run, as the install runs no lifecycle scripts: if the service needs what it makes, name the script "build", which runs before the start`;
}

/** Bins whose package has another name. */
const BIN_PACKAGES: Record<string, string> = { tsc: 'typescript' };

/**
 * The packages `npx <bin>` (or `npm exec <bin>`) would download: those the project's
 * dependencies do not name. npx waits on the registry in the sandbox, which has no network, and
 * the start times out with nothing in the log. Pure.
 */
export function npxDownloads(command: string, pkg: unknown): string[] {
  const declared = new Set(['dependencies', 'devDependencies', 'optionalDependencies'].flatMap((f) => Object.keys(((pkg as Record<string, unknown> | null)?.[f] as object | undefined) ?? {})));
  const out: string[] = [];
  for (const m of command.matchAll(/(?:^|[\s;&|(])(?:npx|npm\s+exec)\s+(?:--?[\w-]+(?:=\S+)?\s+)*([@\w][\w./@-]*)/g)) {
    const bin = m[1]!;
    const name = Object.hasOwn(BIN_PACKAGES, bin) ? BIN_PACKAGES[bin]! : bin.replace(/(.)@[^/]*$/, '$1');
    if (!declared.has(name) && !out.includes(name)) out.push(name);
  }
  return out;
}

/** Hints for the start step's reason about `command` and the scripts it runs (paths relative to `dir`). */
export async function startScriptHints(dir: string, command: string, pkg?: unknown): Promise<string[]> {
  const hints: string[] = [];
  for (const name of npxDownloads(command, pkg)) {
    hints.push(`the start command runs ${name} with npx, and ${name} is not among the dependencies: npx would download it, and the sandbox has no network; add it to devDependencies (npm install -D ${name})`);
  }
  const port = fixedPort(command);
  if (port) hints.push(`the start command itself sets the port to ${port} (${JSON.stringify(command.slice(0, 120))}), over the PORT the grader gives: take it out and read PORT from the environment`);
  for (const m of command.matchAll(/--env-file(?:=|\s+)(['"]?)([\w./-]+)\1(?=\s|$)/g)) {
    const file = m[2]!.replace(/^\.\//, '');
    if (!file.split('/').includes('..') && !(await isRegularFileWithin(dir, file))) {
      hints.push(`the start command reads ${file} (--env-file), which is not in the repository (as a .gitignore'd file should not be): use --env-file-if-exists, or give every setting a default`);
    }
  }
  for (const name of namedPaths(command)) {
    const file = path.join(dir, name);
    if (!(await isRegularFileWithin(dir, name)) || (await stat(file)).size > MAX_SCRIPT_BYTES) continue;
    if (isCrlfScript(name, await readFile(file))) {
      hints.push(`${name} has Windows (CRLF) line endings, and sh reads each line's carriage return as part of its command: commit it with LF endings (dos2unix, or "*.sh text eol=lf" in .gitattributes)`);
    }
  }
  return hints;
}
