import { describe, expect, it } from 'vitest';
import { checkRequirements, logicalLines, requirementProblem, resolveInclude } from './python-policy.ts';

const wheelsOnly = { sdists: false };
const check = (text: string, opts = wheelsOnly) => checkRequirements(text, 'requirements.txt', opts);

describe('logicalLines', () => {
  it('joins continuations and drops comments and blank lines, keeping the first line number', () => {
    expect(logicalLines('# pinned\nflask==3.0.0 \\\n    --hash=sha256:ab\n\nrequests  # http\n')).toEqual([
      { line: 'flask==3.0.0     --hash=sha256:ab', number: 2 },
      { line: 'requests', number: 5 },
    ]);
  });

  it('keeps a # that is part of a token (pip only cuts at line start or after whitespace)', () => {
    expect(logicalLines('pkg==1.0#frag')).toEqual([{ line: 'pkg==1.0#frag', number: 1 }]);
  });
});

describe('checkRequirements', () => {
  it('accepts what candidates write: pins, ranges, extras, markers, hashes and pip-compile output', () => {
    const text = [
      'Flask==3.0.3',
      'requests>=2.31,<3',
      'uvicorn[standard] ~= 0.30',
      'gunicorn; sys_platform != "win32"',
      'typing_extensions (>=4.0)',
      'zope.interface!=6.*',
      'base-kit==1.2.0 \\',
      '    --hash=sha256:6ec3c395e058b06256c671f3a7b369d302ab99884c820f01d6d1a7024d2426cc',
      '--require-hashes',
      '--pre',
      '-r requirements/base.txt',
      '--constraint=constraints.txt',
    ].join('\n');
    const result = check(text);
    expect(result.problems).toEqual([]);
    expect(result.requirements).toHaveLength(7);
    expect(result.includes).toEqual(['requirements/base.txt', 'constraints.txt']);
    expect(result.hashed).toBe(true);
  });

  it.each([
    ['--extra-index-url https://evil.example/simple', /--extra-index-url is not allowed: packages come from Assay's index only/],
    ['--index-url=https://evil.example/simple', /--index-url is not allowed/],
    ['-i https://evil.example/simple', /-i is not allowed/],
    ['-ihttps://evil.example/simple', /-i is not allowed/],
    ['--find-links /tmp/wheels', /--find-links is not allowed/],
    ['-f https://evil.example/wheels/', /-f is not allowed/],
    ['--trusted-host evil.example', /--trusted-host is not allowed/],
    ['--no-index', /--no-index is not allowed/],
    ['-e .', /editable installs/],
    ['--editable git+https://github.com/x/y.git#egg=y', /editable installs/],
    ['git+https://github.com/x/y.git#egg=y', /VCS requirement/],
    ['y @ git+https://github.com/x/y.git', /VCS|URL|direct reference/],
    ['requests @ https://evil.example/requests-2.0-py3-none-any.whl', /URL|direct reference/],
    ['https://evil.example/requests-2.0.tar.gz', /is a URL/],
    ['./vendor/pkg', /local path/],
    ['vendor/pkg-1.0-py3-none-any.whl', /local path or archive/],
    ['pkg.tar.gz', /local path or archive/],
    ['../outside', /local path/],
    ['flask==3.0 --global-option=--evil', /--global-option is not allowed on a requirement/],
    ['flask==3.0 --config-settings=x=y', /--config-settings is not allowed/],
    ['flask==3.0 --hash=md5:abc', /--hash expects sha256/],
    ['--no-binary :all:', /wheels only/],
    ['--only-binary :none:', /wheels only/],
    ['--use-feature=truststore', /--use-feature is not allowed/],
    ['flask==${PIP_INDEX_URL}', /environment variables/],
    ['flask >= !!', /malformed version specifier/],
    ['fl ask', /malformed version specifier|not a requirement/],
  ])('refuses %j', (line, reason) => {
    const result = check(`ok==1.0\n${line}\n`);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/^requirements\.txt:2: /);
    expect(result.problems[0]).toMatch(reason);
  });

  it('lets a challenge that allows sdists choose between wheels and sdists', () => {
    expect(check('--no-binary :all:\n--only-binary=numpy\nflask\n', { sdists: true }).problems).toEqual([]);
  });

  it('refuses URL and path includes (resolveInclude), not the option itself', () => {
    expect(check('-r https://evil.example/r.txt').includes).toEqual(['https://evil.example/r.txt']);
    expect(resolveInclude('requirements.txt', 'https://evil.example/r.txt')).toEqual({ problem: expect.stringMatching(/is a URL/) });
    expect(resolveInclude('requirements.txt', '/etc/passwd')).toEqual({ problem: expect.stringMatching(/relative path inside the repository/) });
    expect(resolveInclude('requirements.txt', '../x.txt')).toEqual({ problem: expect.stringMatching(/leaves the repository/) });
    expect(resolveInclude('requirements/dev.txt', './base.txt')).toEqual({ path: 'requirements/base.txt' });
    expect(resolveInclude('requirements/dev.txt', '../requirements.txt')).toEqual({ path: 'requirements.txt' });
  });

  it('counts nothing for a file of comments', () => {
    expect(check('# nothing yet\n\n')).toEqual({ requirements: [], includes: [], hashed: false, problems: [] });
  });
});

describe('requirementProblem (pyproject.toml dependencies)', () => {
  it('accepts PEP 508 name-based requirements', () => {
    for (const r of ['fastapi>=0.110', 'uvicorn[standard]', 'pydantic (>=2,<3)', 'tomli; python_version < "3.11"']) expect(requirementProblem(r)).toBeUndefined();
  });

  it('refuses direct references', () => {
    expect(requirementProblem('pkg @ file:///workspace/vendor/pkg')).toMatch(/URL|direct reference/);
    expect(requirementProblem('pkg@https://x/y.whl')).toMatch(/URL|direct reference/);
  });
});
