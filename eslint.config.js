// Lint: typescript-eslint's recommended rules on the TypeScript sources, plus `assay/layers`,
// which keeps the import picture in docs/architecture.md true. Challenge folders hold
// candidate-style code (and deliberate bugs), so they are not linted as project code.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

/**
 * The layers, top to bottom. A module imports its own layer or a lower one, never a higher one.
 * Each entry is a folder (ends with /) or a file, relative to the repository root. A file under
 * runner/ that is in no layer is an error: place it here and in docs/architecture.md.
 */
const LAYERS = [
  { layer: 1, name: 'entry points', units: ['api/', 'runner/worker/', 'runner/cli/', 'scripts/', 'runner/shutdown.ts'] },
  { layer: 2, name: 'orchestration', units: ['runner/pipeline/', 'runner/webhooks/'] },
  { layer: 3, name: 'stages', units: ['runner/stages/'] },
  { layer: 4, name: 'ground', units: ['runner/sandbox/', 'runner/store/', 'runner/queue/', 'runner/report/', 'runner/net/', 'runner/challenges/', 'runner/review/', 'runner/cohort/', 'runner/similarity/'] },
  { layer: 5, name: 'base', units: ['runner/config.ts', 'runner/errors.ts', 'runner/log.ts', 'runner/version.ts'] },
];
/** Above the layers: they may import any layer, but nothing in the layers imports them. */
const TOOLS = ['test/', 'runner/devtools/', 'runner/lint-layers.test.ts'];

/**
 * Entry points are separate programs and do not import each other, except these: launchers
 * (scripts/, and runner/devtools/ above the layers) wire processes with the factories, and every
 * entry point ends its process with runner/shutdown.ts.
 */
const ENTRY_IMPORTS_ALLOWED = { 'scripts/': ['api/', 'runner/worker/'] };
const SHARED_ENTRY = 'runner/shutdown.ts';

/** What the API process must not load (value imports; `import type` is fine): it never grades. */
const API_MUST_NOT_LOAD = ['runner/pipeline/', 'runner/stages/', 'runner/sandbox/'];

/** Each outside library is imported only by its owner. Tests (test/) may use any library to observe the real thing. */
const OWNERS = {
  dockerode: ['runner/sandbox/'],
  bullmq: ['runner/queue/'],
  // runner/queue names ioredis' type for BullMQ's connection.
  ioredis: ['runner/store/', 'runner/queue/'],
  'simple-git': ['runner/stages/fetch/'],
  'tar-stream': ['runner/stages/pack/'],
  pino: ['runner/log.ts'],
  express: ['api/'],
  'prom-client': ['api/metrics.ts'],
  commander: ['runner/cli/'],
  testcontainers: ['runner/devtools/'],
  'playwright-core': ['scripts/screenshots.ts'],
};

/**
 * Known violations, each to be removed when its file moves on (see CHANGELOG.md, Unreleased).
 * An entry that no longer matches anything is harmless but should be deleted. None is left.
 * @type {{ file: string, imports: string }[]}
 */
const PENDING = [];

// A unit test beside a file belongs to that file's unit (runner/config.test.ts to runner/config.ts).
const within = (rel, unit) => (unit.endsWith('/') ? rel.startsWith(unit) : rel === unit || rel === unit.replace(/\.ts$/, '.test.ts'));

/** The unit (folder or file of the tables above) and layer of a repository path; layer 0 = tools. */
function classify(rel) {
  for (const unit of TOOLS) if (within(rel, unit)) return { unit, layer: 0, name: 'tools' };
  for (const { layer, name, units } of LAYERS) for (const unit of units) if (within(rel, unit)) return { unit, layer, name };
  if (rel.startsWith('runner/')) return { unit: null, layer: null };
  return undefined; // outside the checked sources (config files, types/, challenges/, sandbox-images/)
}

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Why `from` may not import `to`, or undefined when it may. */
function layerProblem(fromRel, from, toRel, to, { typeOnly, dynamic }) {
  if (to.unit === 'test/' && from.unit !== 'test/') return 'nothing outside test/ imports test/';
  if (to.unit === 'scripts/' && from.unit !== 'scripts/') return 'only scripts/ imports scripts/ (tests and tools do not)';
  if (to.unit === 'runner/devtools/') return ['test/', 'scripts/', 'runner/devtools/'].includes(from.unit) ? undefined : 'runner/devtools/ (local stand-ins) is for test/ and scripts/ only';
  if (from.layer === 0) return undefined;
  if (to.layer < from.layer) return `imports go down only: ${from.unit} (layer ${from.layer}, ${from.name}) may not import ${to.unit} (layer ${to.layer}, ${to.name})`;
  if (from.layer === 1 && to.layer === 1 && from.unit !== to.unit && to.unit !== SHARED_ENTRY && !(ENTRY_IMPORTS_ALLOWED[from.unit] ?? []).includes(to.unit)) {
    return `entry points do not import each other: ${from.unit} may not import ${to.unit}`;
  }
  if (from.unit === 'api/' && !typeOnly && !dynamic && API_MUST_NOT_LOAD.some((u) => within(toRel, u))) {
    return `the API must not load the grading side (${toRel}); api/wire.ts loads runner/sandbox with import() for the readiness check`;
  }
  return undefined;
}

/** @type {import('eslint').Rule.RuleModule} */
const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports go down the layers of docs/architecture.md; each outside library only in its owner.' },
    schema: [],
  },
  create(context) {
    const fromRel = path.relative(ROOT, context.filename).split(path.sep).join('/');
    const from = classify(fromRel);
    if (!from) return {};
    const pending = (what) => PENDING.some((p) => p.file === fromRel && p.imports === what);

    function check(node, specifier, { typeOnly = false, dynamic = false } = {}) {
      if (typeof specifier !== 'string' || specifier.startsWith('node:')) return;
      if (specifier.startsWith('.')) {
        const toRel = path.relative(ROOT, path.resolve(path.dirname(context.filename), specifier)).split(path.sep).join('/');
        const to = classify(toRel);
        if (!to || pending(toRel)) return;
        if (to.unit === null) return context.report({ node, message: `${toRel} is in no layer: add it to LAYERS in eslint.config.js and to docs/architecture.md` });
        const problem = layerProblem(fromRel, from, toRel, to, { typeOnly, dynamic });
        if (problem) context.report({ node, message: `${problem} (docs/architecture.md)` });
        return;
      }
      const pkg = packageName(specifier);
      const owners = OWNERS[pkg];
      if (!owners || from.unit === 'test/' || pending(pkg) || owners.some((o) => within(fromRel, o))) return;
      context.report({ node, message: `only ${owners.join(', ')} may import ${pkg}; go through its owner (docs/architecture.md)` });
    }

    const isTypeOnly = (node) =>
      node.importKind === 'type' || node.exportKind === 'type' || (node.specifiers?.length > 0 && node.specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type'));
    return {
      Program(node) {
        if (from.unit === null) context.report({ node, message: `${fromRel} is in no layer: add it to LAYERS in eslint.config.js and to docs/architecture.md` });
      },
      ImportDeclaration: (node) => check(node, node.source.value, { typeOnly: isTypeOnly(node) }),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value, { typeOnly: isTypeOnly(node) }),
      ExportAllDeclaration: (node) => check(node, node.source.value, { typeOnly: node.exportKind === 'type' }),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value, { dynamic: true }),
    };
  },
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.cache/', 'challenges/', 'test/fixtures/', 'test/attacks/', 'docs/', 'runner/challenges/templates/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', document: 'readonly', window: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-control-regex': 'off',
    },
  },
  {
    files: ['api/**/*.ts', 'runner/**/*.ts', 'scripts/**/*.ts', 'test/**/*.ts'],
    plugins: { assay: { rules: { layers: layersRule } } },
    rules: { 'assay/layers': 'error' },
  },
);
