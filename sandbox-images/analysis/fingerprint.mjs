#!/usr/bin/env node
// Similarity fingerprints with Dolos (winnowing over tree-sitter syntax tokens), run by
// analyse.mjs as a child process of its own: tree-sitter's parsers are native code reading hostile
// source, so a crash here costs the similarity evidence only, never the lint, size or diff.
// Takes: one JSON object on stdin: { root, starterRoot, files: [path], starterFiles: [path],
//   maxPrints, maxSourceChars, maxFileBytes } (paths relative to root and starterRoot; the
//   caller has already left out binary, minified, lock and unchanged starter files).
// Does: tokenises each file with the parser of its language, winnows the token k-grams (Dolos's
//   defaults: k = 23, window 17), drops every fingerprint the starter also has (the starter's code
//   and what is derived from it is nobody's copy), and keeps the lines of the fingerprinted files
//   (capped) so a reviewer can see both sides of a match after the workspace is gone.
// Prints: one JSON line { engine, files: [{ path, language, lines? }], prints: [[hash, file,
//   ordinal, startLine, endLine]], starterPrints, notes }. A hash carries its language family in
//   its top bits, so JavaScript never matches Python by accident.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { maskSecretsIn } from './measures.mjs';

/** Dolos's defaults (k-gram length in tokens, k-grams per window). */
export const KGRAM = 23;
export const WINDOW = 17;
/** Dolos language by extension, and the family whose fingerprints compare with each other. */
const LANGUAGES = {
  js: 'javascript', mjs: 'javascript', cjs: 'javascript', jsx: 'javascript',
  ts: 'typescript', mts: 'typescript', cts: 'typescript', tsx: 'tsx',
  py: 'python', java: 'java', c: 'c', h: 'c', cpp: 'cpp', cc: 'cpp', cxx: 'cpp', hpp: 'cpp',
  cs: 'c-sharp', go: 'go', rs: 'rust', php: 'php', scala: 'scala', sh: 'bash', bash: 'bash',
};
/** JavaScript and TypeScript share most node types: a module renamed from .js to .ts still matches. */
const FAMILY = { javascript: 1, typescript: 1, tsx: 1, python: 2, java: 3, c: 4, cpp: 4, 'c-sharp': 5, go: 6, rust: 7, php: 8, scala: 9, bash: 10 };
/** Dolos's hashes are below 2^26: the family goes above them, and the whole stays a uint32. */
const HASH_SPAN = 2 ** 26;
/**
 * Each language's parser in @dodona/dolos-parsers: its binding, its node types, and the binding's
 * member when it holds several. Loaded one by one as needed (its index.js loads all 19, Elm's
 * among them, a nan addon built for the host's Node and not the image's).
 */
const PARSERS = {
  javascript: ['javascript', 'javascript/src'],
  typescript: ['typescript', 'typescript/typescript/src', 'typescript'],
  tsx: ['typescript', 'typescript/tsx/src', 'tsx'],
  python: ['python', 'python/src'],
  java: ['java', 'java/src'],
  c: ['c', 'c/src'],
  cpp: ['cpp', 'cpp/src'],
  'c-sharp': ['c_sharp', 'c_sharp/src'],
  go: ['go', 'go/src'],
  rust: ['rust', 'rust/src'],
  php: ['php', 'php/php/src', 'php'],
  scala: ['scala', 'scala/src'],
  bash: ['bash', 'bash/src'],
};
const require = createRequire(import.meta.url);

function parserOf(language) {
  const [binding, types, member] = PARSERS[language];
  const loaded = require(`@dodona/dolos-parsers/build/Release/tree_sitter_${binding}_binding.node`);
  const parser = member ? loaded[member] : loaded;
  parser.nodeTypeInfo = require(`@dodona/dolos-parsers/${types}/node-types.json`);
  return parser;
}

export function dolosLanguageOf(file) {
  const dot = file.lastIndexOf('.');
  if (dot < 0 || dot < file.lastIndexOf('/')) return undefined;
  return LANGUAGES[file.slice(dot + 1).toLowerCase()];
}

async function main() {
  const input = JSON.parse(readFileSync(0, 'utf8'));
  const { CustomTreeSitterLanguage, WinnowFilter, Region } = await import('@dodona/dolos-lib');
  // dolos-lib exports no package.json: the version is the one this image pins.
  const dolosVersion = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).dependencies['@dodona/dolos-lib'];
  const tokenizers = new Map();
  const notes = [];
  const note = (code, message) => notes.length < 10 && notes.push({ code, message: message.slice(0, 500) });
  const tokenizerFor = async (language) => {
    if (!tokenizers.has(language)) tokenizers.set(language, await new CustomTreeSitterLanguage(language, [], async () => parserOf(language)).createTokenizer({ includeComments: false }));
    return tokenizers.get(language);
  };
  /** The winnowed fingerprints of one file: [hash, ordinal, startLine, endLine] (lines 1-based). */
  const fingerprintsOf = async (language, text) => {
    const tokenizer = await tokenizerFor(language);
    const tokens = tokenizer.generateTokens(text);
    const family = FAMILY[language] * HASH_SPAN;
    const out = [];
    new WinnowFilter(KGRAM, WINDOW).fingerprints(tokens.map((t) => t.token)).forEach((f, ordinal) => {
      const where = Region.merge(tokens[f.start].location, tokens[f.stop].location);
      out.push([family + f.hash, ordinal, where.startRow + 1, where.endRow + 1]);
    });
    return out;
  };
  const read = (base, rel) => {
    const buf = readFileSync(path.join(base, rel));
    return buf.length > input.maxFileBytes ? undefined : buf.toString('utf8');
  };

  const starterHashes = new Set();
  for (const rel of input.starterFiles) {
    const language = dolosLanguageOf(rel);
    if (!language) continue;
    try {
      const text = read(input.starterRoot, rel);
      if (text !== undefined) for (const [hash] of await fingerprintsOf(language, text)) starterHashes.add(hash);
    } catch (err) {
      note('partial', `the starter's ${rel.slice(0, 120)} could not be fingerprinted: ${String(err?.message ?? err).slice(0, 160)}`);
    }
  }

  const files = [];
  const prints = [];
  let starterPrints = 0;
  let sourceChars = 0;
  let capped = false;
  for (const rel of input.files) {
    const language = dolosLanguageOf(rel);
    if (!language) continue;
    if (prints.length >= input.maxPrints) {
      capped = true;
      break;
    }
    let text;
    let own;
    try {
      text = read(input.root, rel);
      if (text === undefined) continue;
      own = (await fingerprintsOf(language, text)).filter(([hash]) => !starterHashes.has(hash) || (starterPrints++, false));
    } catch (err) {
      note('partial', `${rel.slice(0, 120)} could not be fingerprinted: ${String(err?.message ?? err).slice(0, 160)}`);
      continue;
    }
    if (!own.length) continue; // the starter's code only, or too short to fingerprint
    const index = files.length;
    // Secrets are masked as in the diff: these lines are shown to reviewers.
    const lines = maskSecretsIn(text).split('\n');
    const chars = JSON.stringify(lines).length;
    const fits = sourceChars + chars <= input.maxSourceChars;
    if (fits) sourceChars += chars;
    else capped = true;
    files.push({ path: rel, language, ...(fits ? { lines } : {}) });
    for (const [hash, ordinal, startLine, endLine] of own.slice(0, input.maxPrints - prints.length)) prints.push([hash, index, ordinal, startLine, endLine]);
  }
  if (capped) note('capped', `the submission is larger than the similarity caps (${input.maxPrints} fingerprints, ${Math.round(input.maxSourceChars / 1024)} KiB of kept source): the rest is not compared or not shown`);
  const result = { engine: { name: 'dolos', version: dolosVersion, kgram: KGRAM, window: WINDOW }, files, prints, starterPrints, notes };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
