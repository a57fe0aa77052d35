/** Text from the candidate, made safe to show in a terminal or a log line. Pure. */

/** Removes ANSI/terminal escape sequences and other control characters (keeps newlines, tabs). */
export function stripTerminalEscapes(text: string): string {
  return text.replace(/\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)|\u001b[@-Z\\-_]|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}
