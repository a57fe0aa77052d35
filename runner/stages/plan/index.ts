/**
 * Which runtime a submission uses and how it is installed and started, from its files alone.
 * Each runtime plans in its own module; the first one the challenge allows and the files match wins.
 */
import path from 'node:path';
import type { Runtime } from '../../challenges/manifest.ts';
import { isRegularFile } from './files.ts';
import { planNode } from './node.ts';
import { planPython } from './python.ts';
import type { RuntimePlan } from './types.ts';

export type { InstallPlan, PackageManager, RuntimePlan } from './types.ts';

export interface PlanOptions {
  /** Runtimes the challenge allows. */
  allowed: readonly Runtime[];
  npmRegistry: string;
}

/** Returns the plan, or the reason no allowed runtime was found. */
export async function planRuntime(repoDir: string, opts: PlanOptions): Promise<RuntimePlan | { missing: string }> {
  if (opts.allowed.includes('node') && (await isRegularFile(path.join(repoDir, 'package.json')))) return planNode(repoDir, opts.npmRegistry);
  if (opts.allowed.includes('python')) {
    const python = await planPython(repoDir);
    if (python) return python;
  }
  const wanted = opts.allowed.map((r) => (r === 'node' ? 'package.json (Node.js)' : 'main.py (Python 3)')).join(' or ');
  return { missing: `no ${wanted} at the repository root` };
}
