#!/usr/bin/env node
// Entry point of the analysis image: the receive protocol of sandbox-images/common/receive,
// with the analysers loaded while the files arrive. The container is started beside the fetch,
// before the workspace exists; by the time the pack stage has streamed it, ESLint is loaded.
// Takes: a tar stream on stdin (several archives back to back: the starter and the options, then
//   the packed workspace), unpacked into /workspace.
// Does: runs `tar -x` on stdin while importing the analysers, prints "assay:received" on stderr
//   once the files are in place, then runs analyse.mjs on /workspace.
// Prints: what analyse.mjs prints (one JSON object on stdout); tar's errors on stderr.
import { spawn } from 'node:child_process';

const unpacked = new Promise((resolve) => {
  const tar = spawn('tar', ['-x', '-i', '-f', '-', '-C', '/workspace'], { stdio: ['inherit', 'ignore', 'inherit'] });
  tar.on('error', (err) => resolve(`tar could not start: ${err.message}`));
  tar.on('exit', (code, signal) => resolve(code === 0 ? undefined : `tar exited with ${code ?? signal}`));
});
// Loaded into the module cache now; analyse.mjs's own imports of them then cost nothing.
const preloaded = Promise.all([import('eslint/universal'), import('@eslint/js'), import('globals'), import('./lint-config.mjs'), import('diff')]).catch(() => undefined);
// A warm container (ASSAY_ANALYSIS_WARM, set by the worker for the ones it launches while idle)
// also loads typescript-eslint, the costliest analyser to load, which analyse.mjs otherwise loads
// only when there is TypeScript to lint (its import then waits for this one), and lints a few
// lines of each language once: the first lint of a process costs about 0.2 CPU-s more than the
// next (the parsers' and rules' first runs). The analysis waits for none of it, and the lint is
// skipped when the files came first. "assay:loaded" tells the worker all is done (its idle() waits).
let filesCame = false;
void unpacked.then(() => (filesCame = true));
const warm = process.env.ASSAY_ANALYSIS_WARM === '1';
const typescript = warm ? import('typescript-eslint').catch(() => undefined) : undefined;
Promise.all([preloaded, typescript])
  .then(async ([, tseslint]) => {
    if (!warm || filesCame) return;
    const [{ Linter }, { warmUpLint }] = await Promise.all([import('eslint/universal'), import('./lint-config.mjs')]);
    warmUpLint(new Linter({ configType: 'flat' }), tseslint?.default, () => filesCame);
  })
  .catch(() => undefined)
  .then(() => process.stderr.write('assay:loaded\n'));

const failure = await unpacked;
if (failure) {
  process.stderr.write(`${failure}\n`);
  process.exit(2);
}
process.stderr.write('assay:received\n');
await preloaded;
await import('./analyse.mjs');
