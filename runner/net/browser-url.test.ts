import { describe, expect, it } from 'vitest';
import { browserLinkProblem } from './browser-url.ts';

const problem = (raw: string) => browserLinkProblem(new URL(raw), new URL(raw).hostname);

describe('browserLinkProblem', () => {
  it('turns a folder page into the repository URL, ref and path', () => {
    expect(problem('https://github.com/ada/tasks/tree/main/backend')).toBe('it is the address of a page in the repository, not of the repository: submit "https://github.com/ada/tasks" as the repository URL, "main" as the ref, "backend" as the path');
    expect(problem('https://github.com/ada/tasks/tree/v2/')).toMatch(/"https:\/\/github\.com\/ada\/tasks" as the repository URL, "v2" as the ref$/);
    expect(problem('https://gitlab.com/acme/hiring/ada-tasks/-/tree/main/services/api')).toMatch(/"https:\/\/gitlab\.com\/acme\/hiring\/ada-tasks" as the repository URL, "main" as the ref, "services\/api" as the path$/);
    expect(problem('https://bitbucket.org/ada/tasks/src/main/api/')).toMatch(/"https:\/\/bitbucket\.org\/ada\/tasks" as the repository URL, "main" as the ref, "api" as the path$/);
  });

  it("takes a file page's folder as the path", () => {
    expect(problem('https://github.com/ada/tasks/blob/main/backend/server.js')).toMatch(/"main" as the ref, "backend" as the path$/);
    expect(problem('https://github.com/ada/tasks/blob/main/server.js')).toMatch(/"main" as the ref$/);
  });

  it('leaves repository URLs and other hosts alone', () => {
    for (const raw of ['https://github.com/ada/tasks', 'https://github.com/ada/tasks.git', 'https://github.com/ada/tree', 'https://git.example.com/ada/tasks/tree/main/x', 'https://gitlab.com/acme/tree/tasks']) {
      expect(problem(raw), raw).toBeUndefined();
    }
  });
});
