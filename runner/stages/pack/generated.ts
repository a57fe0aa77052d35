/**
 * Folders that tools generate and that do not belong in a repository: when one of them is what
 * takes a repository past the pack's limits, the reason says so, since the limit alone does not
 * tell a candidate which of their files to remove.
 */
const GENERATED: Record<string, string> = {
  node_modules: 'dependencies belong in package.json and its lockfile, from which the install puts them there',
  '.venv': 'dependencies belong in requirements.txt or pyproject.toml, from which the install builds the virtual environment',
  venv: 'dependencies belong in requirements.txt or pyproject.toml, from which the install builds the virtual environment',
  __pycache__: 'Python writes it again when it runs',
  dist: 'a package.json build script writes it again before the start',
  build: 'a package.json build script writes it again before the start',
  '.next': 'a package.json build script writes it again before the start',
  coverage: 'the tests write it again',
};

/** What to add to a limit's reason when the path that crossed it is in a generated folder. Pure. */
export function generatedFolderHint(rel: string): string {
  const folder = rel.split('/').find((part) => Object.hasOwn(GENERATED, part));
  if (!folder) return '';
  return ` (counting stopped in ${folder}/: leave it out of the repository with a .gitignore line "${folder}/"; ${GENERATED[folder]})`;
}
