// node:test reporter for "tests" challenges. Baked into the Node runtime image (read-only root
// file system), so a candidate cannot replace it.
// Takes: the node:test event stream; the file /workspace/.assay/nonce, read and deleted at load
//   time, before any candidate code runs.
// Prints: one line per top-level test, "ASSAY_TEST <nonce> <json>", where json is
//   {name, status: passed|failed|skipped, durationMs, message?}. The runner ignores lines without
//   the nonce, so candidate code that prints look-alike lines cannot award itself points.
import { readFileSync, rmSync } from 'node:fs';

const NONCE_FILE = '/workspace/.assay/nonce';
let nonce = 'missing';
try {
  nonce = readFileSync(NONCE_FILE, 'utf8').trim();
  rmSync(NONCE_FILE, { force: true });
} catch {
  // Without the nonce the runner accepts nothing, so every test counts as not reported.
}

function message(error) {
  const cause = error?.cause ?? error;
  const text = String(cause?.message ?? cause ?? '');
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

export default async function* assayReporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const data = event.data;
    if (data.nesting !== 0) continue;
    const skipped = Boolean(data.skip || data.todo);
    const status = skipped ? 'skipped' : event.type === 'test:pass' ? 'passed' : 'failed';
    const line = { name: data.name, status, durationMs: Math.round(data.details?.duration_ms ?? 0) };
    if (status === 'failed') line.message = message(data.details?.error);
    yield `ASSAY_TEST ${nonce} ${JSON.stringify(line)}\n`;
  }
}
