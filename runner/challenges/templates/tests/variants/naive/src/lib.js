// Known-bad variant of "{{id}}": replaces separators but neither trims, strips accents nor cuts.
// validate checks that it scores within variants/naive.expected.json.
export function slugify(text) {
  if (typeof text !== 'string') throw new TypeError('slugify expects a string');
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}
