// Reference solution of "{{id}}".
const MAX_LENGTH = 60;

/** Turns a title into a URL slug (see README.md). */
export function slugify(text) {
  if (typeof text !== 'string') throw new TypeError(`slugify expects a string, got ${typeof text}`);
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug.slice(0, MAX_LENGTH).replace(/-+$/, '');
}
