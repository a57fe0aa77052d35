/**
 * The start step's reason when the service exited before accepting connections: the exit code,
 * then what the candidate can do about it. Exit code 127 is the shell's "command not found";
 * its log line names the command, which is then not in the sandbox image nor among the
 * installed dependencies (a global tool, a server from a tutorial). The plan's hints (a start
 * script with Windows line endings, a port the start command fixes) follow any failed start.
 */

/** The command the shell could not find, from its "x: not found" line. Pure. */
export function commandNotFound(log: string): string | undefined {
  const m = /(?:^|\n)[^\n]*?([^\s:'"]+): (?:command )?not found/.exec(log);
  return m?.[1];
}

/** The reason of a start whose service exited with `exit` before accepting connections. Pure. */
export function exitedReason(exit: number | null, log: string, hints: readonly string[] = []): string {
  const parts = [`the service exited with code ${exit} before accepting connections`];
  const missing = exit === 127 ? commandNotFound(log) : undefined;
  if (missing) {
    parts.push(`the command "${missing.slice(0, 80)}" was not found: the sandbox has node, npm and npx (Node.js) or python3, and the packages the dependencies (package.json, requirements.txt) install; anything else the start command runs must be one of them`);
  }
  if (exit === 0) parts.push('the start command ended without an error instead of serving: it must keep running, listening on PORT');
  return withHints(parts.join('; '), hints);
}

/** A start failure's reason followed by the plan's hints. Pure. */
export function withHints(reason: string, hints: readonly string[] = []): string {
  return [reason, ...hints].join('; ');
}
