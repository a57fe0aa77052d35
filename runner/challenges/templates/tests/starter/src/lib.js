// Starter of "{{id}}": implement slugify as described in README.md.

/** Turns a title into a URL slug. */
export function slugify(_text) {
  throw new Error('not implemented');
}
