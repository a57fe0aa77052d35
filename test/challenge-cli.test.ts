/**
 * The challenge authoring toolkit as an author uses it: the `assay` CLI as a child process,
 * a temporary challenges directory (ASSAY_CHALLENGES_DIR), the real Docker sandbox. Covers the
 * README walkthrough for both kinds and three deliberately broken challenges validate must catch.
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestJsonSchema, scaffoldChallenge } from '../runner/challenges/scaffold.ts';

const REPO = path.resolve(import.meta.dirname, '..');
let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'assay-challenges-'));
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for messages whose stream does not matter. */
  all: string;
}

/** Runs `assay <args>` as the README's `npx assay` does (node --import tsx), with the temp challenges dir. */
function assay(args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'runner/cli/main.ts'), ...args], {
      cwd: REPO,
      env: { ...process.env, ASSAY_CHALLENGES_DIR: root },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, all: `${stdout}\n${stderr}` }));
  });
}

async function editJson(file: string, edit: (json: Record<string, unknown>) => void): Promise<void> {
  const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  edit(json);
  await writeFile(file, JSON.stringify(json, null, 2));
}

describe('the README walkthrough', () => {
  it('shows the commands this test runs', async () => {
    const readme = await readFile(path.join(REPO, 'challenges/README.md'), 'utf8');
    for (const command of ['npx assay challenge new hello --kind service', 'npx assay challenge validate hello', 'npx assay grade --challenge hello challenges/hello/reference/node']) {
      expect(readme).toContain(command);
    }
  });

  for (const kind of ['service', 'tests'] as const) {
    it(`scaffolds a ${kind} challenge that validates and grades its reference at 100%`, async () => {
    const id = `hello-${kind}`;
    const created = await assay(['challenge', 'new', id, '--kind', kind, '--dir', root]);
    expect(created.code, created.all).toBe(0);
    expect(created.stdout).toContain(path.join(root, id));

    const validated = await assay(['challenge', 'validate', id, '--runs', '1']);
    expect(validated.code, validated.all).toBe(0);
    expect(validated.stdout).toContain(`${id}: OK`);
    // One progress line per grading run, with percent and duration.
    expect(validated.stderr).toMatch(/reference\/node\s+run 1\/1\s+100\.00%\s+\d+\.\ds/);
    expect(validated.stderr).toMatch(/starter\s+run 1\/1\s+\d+\.\d\d%/);

    const graded = await assay(['grade', '--challenge', id, path.join(root, id, 'reference/node'), '--out', path.join(root, `${id}-report.json`)]);
    expect(graded.code, graded.all).toBe(0);
    expect(graded.stdout).toMatch(/Score: (\d+)\/\1 \(100%\)/);
    });
  }

  it('adds a database as the README says: the suite reaches Postgres and restarts the service', async () => {
    const readme = await readFile(path.join(REPO, 'challenges/README.md'), 'utf8');
    // The README's own snippets, so the walkthrough and this test cannot drift apart.
    const snippet = /```js\n( {2}test\('greeting\.after-restart'[\s\S]*?)```/.exec(readme)?.[1];
    expect(snippet, 'the greeting.after-restart test in challenges/README.md').toBeDefined();
    expect(readme).toContain('add `"services": [{ "name": "postgres" }]` to `hello/challenge.json`');
    expect(readme).toContain('npx assay challenge validate hello --runs 2');

    const id = 'hello-db';
    const created = await assay(['challenge', 'new', id, '--kind', 'service', '--dir', root]);
    expect(created.code, created.all).toBe(0);
    const dir = path.join(root, id);
    await editJson(path.join(dir, 'challenge.json'), (m) => {
      m.services = [{ name: 'postgres' }];
      (m.tests as unknown[]).push({ id: 'greeting.after-restart', name: 'Greets again after a restart', category: 'greeting', points: 2 });
    });
    const suiteFile = path.join(dir, 'suite/tests.mjs');
    const suite = await readFile(suiteFile, 'utf8');
    expect(suite).toContain('export default ({ test }) => {\n');
    await writeFile(suiteFile, suite.replace('export default ({ test }) => {\n', `export default ({ test }) => {\n${snippet}\n`));

    const validated = await assay(['challenge', 'validate', id, '--runs', '1']);
    expect(validated.code, validated.all).toBe(0);
    expect(validated.stdout).toContain(`${id}: OK`);
    expect(validated.stderr).toMatch(/reference\/node\s+run 1\/1\s+100\.00%/);
    expect(validated.stdout).not.toMatch(/flaky/);
  });

  it('refuses to overwrite a challenge or to take an invalid id', async () => {
    await scaffoldChallenge({ id: 'taken', kind: 'tests', rootDir: root });
    const again = await assay(['challenge', 'new', 'taken', '--kind', 'service', '--dir', root]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('already exists');
    const bad = await assay(['challenge', 'new', 'Not_An_Id', '--kind', 'service', '--dir', root]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('invalid challenge id');
  });
});

describe('validate catches a broken challenge', () => {
  it('names flaky tests', async () => {
    const { dir } = await scaffoldChallenge({ id: 'flaky', kind: 'service', rootDir: root });
    // Two tests that pass or fail at random in every run, whatever the solution. Over 4 runs
    // of each of 3 solutions, the chance that neither ever flips is (1/8)^6, about 4 in a million.
    const suiteFile = path.join(dir, 'suite/tests.mjs');
    const suite = await readFile(suiteFile, 'utf8');
    await writeFile(
      suiteFile,
      suite.replace(
        'export default ({ test }) => {',
        "export default ({ test }) => {\n  for (const id of ['random.one', 'random.two']) test(id, async () => assert.ok(Math.random() < 0.5, 'unlucky'));\n",
      ),
    );
    await editJson(path.join(dir, 'challenge.json'), (m) => {
      (m.tests as unknown[]).push(...['random.one', 'random.two'].map((id) => ({ id, name: id, category: 'random', points: 1 })));
    });

    const validated = await assay(['challenge', 'validate', 'flaky', '--runs', '4']);
    expect(validated.code, validated.all).toBe(1);
    expect(validated.stdout).toMatch(/flaky test "random\.(one|two)": passed [1-3] of 4 runs of/);
    expect(validated.stdout).not.toMatch(/flaky test "(greeting|validation|routing)\./);
    expect(validated.stdout).toContain('flaky: FAILED');
  });

  it('fails a starter that scores 100%', async () => {
    const { dir } = await scaffoldChallenge({ id: 'easy-starter', kind: 'tests', rootDir: root });
    await rm(path.join(dir, 'starter'), { recursive: true });
    await cp(path.join(dir, 'reference/node'), path.join(dir, 'starter'), { recursive: true });

    const validated = await assay(['challenge', 'validate', 'easy-starter', '--runs', '1']);
    expect(validated.code, validated.all).toBe(1);
    expect(validated.stdout).toContain('starter run 1: the starter scored 100%, not below its threshold starter.maxPercent = 40%');
  });

  it('reports every manifest error with the file and the field, without grading', async () => {
    const { dir } = await scaffoldChallenge({ id: 'bad-manifest', kind: 'service', rootDir: root });
    await editJson(path.join(dir, 'challenge.json'), (m) => {
      (m.tests as Record<string, unknown>[])[0]!.points = 'three';
      m.colour = 'red';
    });

    const validated = await assay(['challenge', 'validate', 'bad-manifest']);
    expect(validated.code, validated.all).toBe(1);
    const file = path.join(dir, 'challenge.json');
    expect(validated.stdout).toContain(`${file}: tests.0.points: Invalid input: expected number, received string`);
    expect(validated.stdout).toContain(`${file}: (root): Unrecognized key: "colour"`);
    expect(validated.stderr).not.toContain('run 1/');
  });
});

it('challenges/challenge.schema.json is up to date with ManifestSchema', async () => {
  const committed = JSON.parse(await readFile(path.join(REPO, 'challenges/challenge.schema.json'), 'utf8')) as unknown;
  expect(committed, 'run: npx tsx scripts/export-challenge-schema.ts').toEqual(manifestJsonSchema());
});
