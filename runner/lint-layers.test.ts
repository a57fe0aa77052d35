/**
 * The `assay/layers` lint rule (eslint.config.js) reports imports that go the wrong way and
 * lets the right ones through. Runs ESLint's Node API with the project's own configuration on
 * snippets placed at the paths where they would live.
 */
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const eslint = new ESLint({ cwd: ROOT });

async function layerProblems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, filePath) });
  return result!.messages.filter((m) => m.ruleId === 'assay/layers' || m.fatal).map((m) => m.message);
}

const WRONG: [file: string, code: string, reason: RegExp][] = [
  ['api/x.ts', "import Docker from 'dockerode';\nexport const d = new Docker();", /only runner\/sandbox\/ may import dockerode/],
  ['api/routes/x.ts', "import { pingEngine } from '../../runner/sandbox/index.ts';\nexport { pingEngine };", /API must not load the grading side/],
  ['api/x.ts', "import { gradeSubmission } from '../runner/pipeline/grade.ts';\nexport { gradeSubmission };", /API must not load the grading side/],
  ['api/ui/x.ts', "import { renderSummary } from '../../runner/cli/summary.ts';\nexport { renderSummary };", /entry points do not import each other/],
  ['api/x.ts', "import { GradingWorker } from '../runner/worker/worker.ts';\nexport { GradingWorker };", /entry points do not import each other/],
  ['runner/store/x.ts', "import '../pipeline/grade.ts';", /imports go down only: runner\/store\/ \(layer 4.*runner\/pipeline\/ \(layer 2/],
  ['runner/store/x.ts', "export const load = () => import('../pipeline/grade.ts');", /imports go down only/],
  ['runner/sandbox/x.ts', "export { fetchRepository } from '../stages/fetch/index.ts';", /imports go down only/],
  ['runner/stages/run/x.ts', "import { gradeSubmission } from '../../pipeline/grade.ts';\nexport { gradeSubmission };", /imports go down only/],
  ['runner/challenges/x.ts', "import type { GradeDeps } from '../pipeline/grade.ts';\nexport type D = GradeDeps;", /imports go down only/],
  ['runner/errors.ts', "import { createRedis } from './store/redis.ts';\nexport { createRedis };", /imports go down only: runner\/errors.ts \(layer 5/],
  ['runner/pipeline/x.ts', "import { startStack } from '../devtools/stack.ts';\nexport { startStack };", /runner\/devtools\/ .* is for test\/ and scripts\/ only/],
  ['test/x.test.ts', "import { localEnv } from '../scripts/lib/local-env.ts';\nexport { localEnv };", /only scripts\/ imports scripts\//],
  // Once a PENDING exception (eslint.config.js); the test now imports runner/devtools/processes.ts.
  ['test/scale.test.ts', "import { localEnv } from '../scripts/lib/local-env.ts';\nexport { localEnv };", /only scripts\/ imports scripts\//],
  ['scripts/x.ts', "import { something } from '../test/support/helpers.ts';\nexport { something };", /nothing outside test\/ imports test\//],
  ['runner/stages/install/x.ts', "import { simpleGit } from 'simple-git';\nexport { simpleGit };", /only runner\/stages\/fetch\/ may import simple-git/],
  ['runner/store/x.ts', "import { Queue } from 'bullmq';\nexport { Queue };", /only runner\/queue\/ may import bullmq/],
  ['runner/worker/worker.ts', "import { Worker } from 'bullmq';\nexport { Worker };", /only runner\/queue\/ may import bullmq/],
  ['runner/report/x.ts', "import tar from 'tar-stream';\nexport { tar };", /only runner\/stages\/pack\/ may import tar-stream/],
  ['api/x.ts', "import { Redis } from 'ioredis';\nexport { Redis };", /may import ioredis/],
  ['runner/newplace/x.ts', "import { loadConfig } from '../config.ts';\nexport { loadConfig };", /runner\/newplace\/x.ts is in no layer/],
];

const RIGHT: [file: string, code: string][] = [
  ['runner/pipeline/x.ts', "import { fetchRepository } from '../stages/fetch/index.ts';\nimport { SandboxContainer } from '../sandbox/index.ts';\nimport { loadConfig } from '../config.ts';\nexport { fetchRepository, SandboxContainer, loadConfig };"],
  ['runner/stages/run/x.ts', "import { createTar } from '../pack/tar.ts';\nimport { parseManifest } from '../../challenges/repository.ts';\nexport { createTar, parseManifest };"],
  ['runner/stages/fetch/x.ts', "import { simpleGit } from 'simple-git';\nexport { simpleGit };"],
  ['runner/store/x.ts', "import type { Report } from '../report/schema.ts';\nimport { Redis } from 'ioredis';\nexport type R = Report;\nexport { Redis };"],
  ['api/x.ts', "import type { DockerClient } from '../runner/sandbox/index.ts';\nimport { SubmissionStore } from '../runner/store/submissions.ts';\nimport { closeSteps } from '../runner/shutdown.ts';\nexport type D = DockerClient;\nexport { SubmissionStore, closeSteps };\nexport const load = () => import('../runner/sandbox/index.ts');"],
  ['scripts/x.ts', "import { createApiProcess } from '../api/wire.ts';\nimport { startWorkerProcess } from '../runner/worker/wire.ts';\nimport { startStack } from '../runner/devtools/stack.ts';\nexport { createApiProcess, startWorkerProcess, startStack };"],
  ['test/x.test.ts', "import Docker from 'dockerode';\nimport { startStack } from '../runner/devtools/stack.ts';\nimport { gradeSubmission } from '../runner/pipeline/grade.ts';\nexport { Docker, startStack, gradeSubmission };"],
  ['runner/devtools/x.ts', "import { createApiProcess } from '../../api/wire.ts';\nimport { GenericContainer } from 'testcontainers';\nexport { createApiProcess, GenericContainer };"],
  ['test/scale.test.ts', "import { startProcess, stopProcess } from '../runner/devtools/processes.ts';\nexport { startProcess, stopProcess };"],
];

describe('assay/layers lint rule', () => {
  for (const [file, code, reason] of WRONG) {
    it(`reports ${file}: ${code.split('\n')[0]}`, async () => {
      const problems = await layerProblems(file, code);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(reason);
    });
  }
  for (const [file, code] of RIGHT) {
    it(`accepts ${file}: ${code.split('\n')[0]}`, async () => {
      expect(await layerProblems(file, code)).toEqual([]);
    });
  }
});
