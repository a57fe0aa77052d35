/**
 * Why no runtime was found, in words a candidate can act on: the project files in a subfolder
 * (the service is there: name it as the submission's path), source files with nothing that says
 * how to start them (server.py, index.js), a Dockerfile (never built: Assay runs the service
 * itself) or another language's project file. Reads names only (lstat, readdir).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Runtime } from '../../challenges/manifest.ts';
import { firstRegularFile } from './files.ts';

/** The files that make a folder a project of each runtime. */
const RUNTIME_FILES: Record<Runtime, readonly string[]> = {
  node: ['package.json'],
  python: ['main.py', 'app.py', 'requirements.txt', 'pyproject.toml'],
};
const OTHER_LANGUAGES: readonly (readonly [string, string])[] = [
  ['go.mod', 'Go'],
  ['Cargo.toml', 'Rust'],
  ['pom.xml', 'Java'],
  ['build.gradle', 'Java or Kotlin'],
  ['build.gradle.kts', 'Kotlin'],
  ['Gemfile', 'Ruby'],
  ['composer.json', 'PHP'],
  ['mix.exs', 'Elixir'],
  ['deno.json', 'Deno'],
];
const DOCKER_FILES = ['Dockerfile', 'docker-compose.yml', 'docker-compose.yaml', 'compose.yaml'];
/** Subfolders read, at most, two levels down: enough for backend/ or packages/api/. */
const MAX_FOLDERS = 200;

/** The sentences that follow "no package.json ... at the repository root". */
export async function missingRuntimeHints(dir: string, allowed: readonly Runtime[]): Promise<string[]> {
  const wanted = allowed.flatMap((r) => RUNTIME_FILES[r]);
  const hints: string[] = [];
  const found = await projectFolders(dir, wanted);
  if (found.length) {
    const list = found.slice(0, 3).map((f) => `${f.file} in ${f.folder}/`).join(', ');
    hints.push(`found ${list}: give the service's folder as the submission's path (for example "${found[0]!.folder}")`);
  }
  const loose = await looseSources(dir, allowed);
  if (loose) hints.push(loose);
  const docker = await firstRegularFile(dir, DOCKER_FILES);
  if (docker) hints.push(`${docker} is not used: Assay does not build or run images, it starts the service itself (npm start or a Procfile for Node.js, python3 main.py for Python)`);
  const other = (await Promise.all(OTHER_LANGUAGES.map(async ([file, language]) => ((await firstRegularFile(dir, [file])) ? `${language} (${file})` : undefined)))).filter(Boolean);
  if (other.length && !found.length && !loose) hints.push(`this looks like ${other[0]!}, and this challenge accepts ${allowed.map((r) => (r === 'node' ? 'Node.js' : 'Python 3')).join(' or ')} only`);
  return hints;
}

/** Source files at the top with nothing that says how to start them (server.py, index.js). */
async function looseSources(dir: string, allowed: readonly Runtime[]): Promise<string | undefined> {
  const names = (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isFile()).map((e) => e.name).sort();
  const python = allowed.includes('python') ? names.find((n) => n.endsWith('.py')) : undefined;
  if (python) return `found ${python}: name the entry point main.py, or add a Procfile with the line "web: python3 ${python}"`;
  const node = allowed.includes('node') ? names.find((n) => /\.(?:js|mjs|cjs|ts)$/.test(n)) : undefined;
  if (node) return `found ${node} but no package.json: add one (npm init -y) with a start script that runs ${node} and the dependencies it uses`;
  return undefined;
}

/** Subfolders (one or two levels down, not hidden, not node_modules) that hold one of `files`. */
async function projectFolders(dir: string, files: readonly string[]): Promise<{ folder: string; file: string }[]> {
  const found: { folder: string; file: string }[] = [];
  let budget = MAX_FOLDERS;
  const visit = async (rel: string, depth: number): Promise<void> => {
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (!e.isDirectory() || e.name.startsWith('.') || e.name === 'node_modules' || budget-- <= 0) continue;
      const folder = rel ? `${rel}/${e.name}` : e.name;
      const file = await firstRegularFile(path.join(dir, folder), files);
      if (file) found.push({ folder, file });
      else if (depth < 2) await visit(folder, depth + 1);
    }
  };
  await visit('', 1);
  return found;
}
