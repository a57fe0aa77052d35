// Hidden tests of "{{id}}". Assay places this file at <workspace>/.assay/tests/ (suite.workspacePath),
// so the candidate's module is two folders up. Each top-level test name is a test id declared in
// challenge.json; only top-level tests are reported, so use subtests or loops inside for cases.
//
// Unfit for scoring: these tests run in the candidate's own process, where the candidate's code
// can forge their results (patch node:test or node:assert, exit before the real tests run), so
// every report of a "tests" challenge is flagged `in_process_results`. Use this kind for practice
// and feedback. To score candidates, write a "service" challenge and check their modules through
// Assay's driver (`service.driverPort`, see challenges/debug-app): its verdicts are computed in
// the grader, out of the candidate's reach.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slugify } from '../../src/lib.js';

test('slugify.basic', () => {
  assert.equal(slugify('Hello World'), 'hello-world');
  assert.equal(slugify('Assay 2024'), 'assay-2024');
});

test('slugify.punctuation', () => {
  assert.equal(slugify('Hello, World!'), 'hello-world');
  assert.equal(slugify("What's new?"), 'what-s-new');
});

test('slugify.collapse', () => {
  assert.equal(slugify('a  --  b'), 'a-b');
  assert.equal(slugify('one\t\ttwo\nthree'), 'one-two-three');
});

test('slugify.trim', () => {
  assert.equal(slugify('  -Hi there-  '), 'hi-there');
  assert.equal(slugify('!!!'), '');
});

test('slugify.accents', () => {
  assert.equal(slugify('Crème brûlée'), 'creme-brulee');
  assert.equal(slugify('Ångström Ärger'), 'angstrom-arger');
});

test('slugify.max-length', () => {
  assert.equal(slugify('a'.repeat(100)), 'a'.repeat(60));
  const cut = slugify(`${'a'.repeat(59)} b`);
  assert.ok(cut.length <= 60, `expected at most 60 characters, got ${cut.length}`);
  assert.ok(!cut.endsWith('-'), `expected no trailing dash, got ${JSON.stringify(cut)}`);
});

test('errors.non-string', () => {
  for (const value of [undefined, null, 42, { toString: () => 'x' }]) {
    assert.throws(() => slugify(value), TypeError, `slugify(${String(value)}) should throw a TypeError`);
  }
});
