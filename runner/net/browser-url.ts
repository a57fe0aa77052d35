/**
 * A repository URL copied from the browser while it showed a folder or a file
 * (`https://github.com/you/tasks/tree/main/backend`) names a page, not a repository: git cannot
 * clone it. On the hosts whose page URLs are known, the reason gives the repository URL, ref and
 * path to submit instead.
 */

/** Page URL path -> repository path, ref and folder, per host. */
const PAGE_PATTERNS: Record<string, RegExp> = {
  'github.com': /^(\/[^/]+\/[^/]+?)\/(tree|blob)\/([^/]+)(?:\/(.*?))?\/?$/,
  'gitlab.com': /^(\/.+?)\/-\/(tree|blob)\/([^/]+)(?:\/(.*?))?\/?$/,
  'bitbucket.org': /^(\/[^/]+\/[^/]+?)\/(src)\/([^/]+)(?:\/(.*?))?\/?$/,
};

/** What to submit instead of a page URL, or undefined for anything else. Pure. */
export function browserLinkProblem(url: URL, host: string): string | undefined {
  const pattern = Object.hasOwn(PAGE_PATTERNS, host) ? PAGE_PATTERNS[host] : undefined;
  const m = pattern?.exec(url.pathname);
  if (!m) return undefined;
  const [, repo, kind, ref, rest] = m as unknown as [string, string, string, string, string | undefined];
  // A file's page (blob) names the file: the service is its folder.
  const folder = kind === 'blob' ? rest?.split('/').slice(0, -1).join('/') : rest;
  const instead = [`"https://${host}${repo}" as the repository URL`, `"${decodeURIComponent(ref)}" as the ref`, ...(folder ? [`"${decodeURIComponent(folder)}" as the path`] : [])];
  return `it is the address of a page in the repository, not of the repository: submit ${instead.join(', ')}`;
}
