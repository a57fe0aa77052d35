import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { missingRuntimeHints } from './missing.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function repo(files: Record<string, string>): Promise<string> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'assay-missing-'));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  return dir;
}

describe('missingRuntimeHints', () => {
  it('names the subfolders that hold a project, as the path to submit', async () => {
    const hints = await missingRuntimeHints(await repo({ 'frontend/index.html': '', 'backend/package.json': '{}', 'services/api/main.py': '', 'node_modules/x/package.json': '{}' }), ['node', 'python']);
    expect(hints).toEqual(['found package.json in backend/, main.py in services/api/: give the service\'s folder as the submission\'s path (for example "backend")']);
  });

  it('looks only for the runtimes the challenge allows', async () => {
    expect(await missingRuntimeHints(await repo({ 'api/main.py': '' }), ['node'])).toEqual([]);
  });

  it('says how to start a source file with nothing that starts it', async () => {
    expect(await missingRuntimeHints(await repo({ 'server.py': '', 'README.md': '' }), ['node', 'python'])).toEqual(['found server.py: name the entry point main.py, or add a Procfile with the line "web: python3 server.py"']);
    expect((await missingRuntimeHints(await repo({ 'index.js': '' }), ['node', 'python']))[0]).toMatch(/^found index\.js but no package\.json/);
  });

  it('explains a Dockerfile and another language', async () => {
    const hints = await missingRuntimeHints(await repo({ Dockerfile: 'FROM golang', 'go.mod': 'module x', 'main.go': '' }), ['node', 'python']);
    expect(hints).toEqual([expect.stringMatching(/^Dockerfile is not used: Assay does not build or run images/), 'this looks like Go (go.mod), and this challenge accepts Node.js or Python 3 only']);
  });

  it('has nothing to add to an empty repository', async () => {
    expect(await missingRuntimeHints(await repo({ 'README.md': '' }), ['node', 'python'])).toEqual([]);
  });
});
