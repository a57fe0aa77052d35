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

const failure = await unpacked;
if (failure) {
  process.stderr.write(`${failure}\n`);
  process.exit(2);
}
process.stderr.write('assay:received\n');
await preloaded;
await import('./analyse.mjs');
