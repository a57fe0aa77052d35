/** Python submissions: main.py at the root, started with `python3 main.py` (standard library only). */
import path from 'node:path';
import { isRegularFile } from './files.ts';
import type { RuntimePlan } from './types.ts';

export async function planPython(repoDir: string): Promise<RuntimePlan | undefined> {
  if (!(await isRegularFile(path.join(repoDir, 'main.py')))) return undefined;
  return { runtime: 'python', install: { kind: 'skip', reason: 'Python submissions use the standard library only' }, startArgv: ['python3', 'main.py'] };
}
