/**
 * A scratch folder for a test file (made in beforeAll, removed in afterAll), and copies of
 * solutions with extra files in it: the variants the insight tests grade.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { started } from './started.ts';

export interface Scratch {
  /** The folder; read it in a test or a later hook. */
  readonly dir: string;
  /** A copy of the solution in `source` named `name`, with `files` added or replaced; returns its path. */
  variantOf(source: string, name: string, files: Record<string, string | Buffer>): Promise<string>;
}

/** Registers the hooks that make and remove a scratch folder under the system's temp folder (`prefix`, e.g. `assay-insights-`). */
export function useScratch(prefix: string): Scratch {
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const scratch: Scratch = {
    get dir() {
      return started(dir, 'the scratch folder');
    },
    async variantOf(source, name, files) {
      const out = path.join(scratch.dir, name);
      await cp(source, out, { recursive: true });
      for (const [rel, content] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(out, rel)), { recursive: true });
        await writeFile(path.join(out, rel), content);
      }
      return out;
    },
  };
  return scratch;
}
