// The pinned lint configuration that ships with Assay: every submission is linted with these
// rules, whatever configuration it carries (its eslint.config.*, .eslintrc, ruff.toml and inline
// `eslint-disable` comments are ignored), so that counts compare across candidates.
// Takes: nothing (imported by analyse.mjs). Does: builds ESLint flat configs and Ruff settings.
//
// Severity: what ESLint's and typescript-eslint's recommended sets report (and Ruff's default
// rule set, pyflakes and pycodestyle's E4/E7/E9) is an `error`; the few quality rules added on
// top (complexity, nesting depth, parameter count, ==, var, let never reassigned, and Ruff's
// flake8-bugbear and mccabe) are `warning`s.
import js from '@eslint/js';
import globals from 'globals';

/** Bumped whenever a rule or its options change: reports name the configuration they used. */
export const LINT_CONFIG = 'assay-lint@1';

/** Above this cyclomatic complexity a function is a lint warning (ESLint and Ruff alike). */
export const MAX_COMPLEXITY = 15;

const QUALITY_RULES = {
  complexity: ['warn', MAX_COMPLEXITY],
  'max-depth': ['warn', 4],
  'max-params': ['warn', 5],
  eqeqeq: ['warn', 'smart'],
  'no-var': 'warn',
  'prefer-const': 'warn',
};

const TEST_FILES = ['**/*.test.*', '**/*.spec.*', '**/test/**', '**/tests/**', '**/__tests__/**'];

/**
 * ESLint flat configuration for JavaScript (and, given typescript-eslint, TypeScript). `metrics`
 * is Assay's own rule collecting function sizes and complexity (see analyse.mjs).
 */
export function eslintConfig({ tseslint, metricsPlugin }) {
  const shared = {
    plugins: { assay: metricsPlugin },
    linterOptions: { noInlineConfig: true, reportUnusedDisableDirectives: 'off' },
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      parserOptions: { ecmaFeatures: { jsx: true } },
      globals: { ...globals.node, ...globals.browser },
    },
  };
  const config = [
    { files: ['**/*.js', '**/*.mjs', '**/*.jsx'], ...shared },
    { files: ['**/*.cjs'], ...shared, languageOptions: { ...shared.languageOptions, sourceType: 'commonjs' } },
    { files: ['**/*.js', '**/*.mjs', '**/*.cjs', '**/*.jsx'], rules: { ...js.configs.recommended.rules, ...QUALITY_RULES, 'assay/metrics': 'error' } },
  ];
  if (tseslint) {
    const tsFiles = ['**/*.ts', '**/*.tsx', '**/*.mts', '**/*.cts'];
    config.push(
      // typescript-eslint's recommended set goes on top of ESLint's (it turns off the core rules the type checker covers, such as no-undef).
      { files: tsFiles, ...shared, languageOptions: { ...shared.languageOptions, parser: tseslint.parser }, rules: js.configs.recommended.rules },
      ...tseslint.configs.recommended.map((c) => ({ ...c, files: tsFiles })),
      { files: tsFiles, rules: { ...QUALITY_RULES, 'assay/metrics': 'error' } },
    );
  }
  config.push({ files: TEST_FILES, languageOptions: { globals: { ...globals.jest, ...globals.mocha, ...globals.vitest } } });
  return config;
}

/** A few lines of each language, linted once in a warm container before its job (receive.mjs). */
const WARM_UP_SOURCES = [
  ['warm-up.js', 'const total = (items) => items.reduce((sum, item) => sum + item.price * item.quantity, 0);\nexport default total;\n'],
  ['warm-up.ts', 'export interface Item { price: number; quantity: number }\nexport const total = (items: Item[]): number => items.reduce((sum, item) => sum + item.price * item.quantity, 0);\n'],
];

/**
 * Lints WARM_UP_SOURCES with the pinned configuration (a no-op rule in place of Assay's metrics
 * rule), TypeScript only when typescript-eslint is given; stops early once `stop()` says so.
 */
export function warmUpLint(linter, tseslint, stop) {
  const config = eslintConfig({ tseslint, metricsPlugin: { rules: { metrics: { create: () => ({}) } } } });
  for (const [filename, text] of WARM_UP_SOURCES) {
    if (stop() || (filename.endsWith('.ts') && !tseslint)) continue;
    linter.verify(text, config, { filename: `/warm-up/${filename}` });
  }
}

/** Ruff's default rules (pyflakes, pycodestyle E4/E7/E9) are errors; these extra prefixes are warnings. */
export const RUFF_WARNING_PREFIXES = ['B', 'C901'];

/**
 * Ruff's settings: its default rules, flake8-bugbear and mccabe. mccabe runs at 0 so that it
 * reports every function's complexity (for size); the analyser keeps as findings only those
 * above MAX_COMPLEXITY, as with ESLint's `complexity`.
 */
export const RUFF_SETTINGS = { 'line-length': 120, lint: { select: ['E4', 'E7', 'E9', 'F', 'B', 'C901'], mccabe: { 'max-complexity': 0 } } };
