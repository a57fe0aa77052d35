/**
 * The one check behind the holders that the test set-ups (useGradingStack, useScratch,
 * useUiServer) return: their fields are filled in by beforeAll, so a read at a file's top
 * level, before the hooks ran, fails with a message instead of an undefined.
 */
export function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not started yet: read it in a test or a later hook`);
  return value;
}
