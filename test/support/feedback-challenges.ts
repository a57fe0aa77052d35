/**
 * Challenges for the candidate-feedback tests (test/feedback.test.ts, test/ui-feedback.test.ts):
 * copies of the built-in simple-api in a temporary directory, under other ids, with an attempt
 * policy, a hint on a hidden test (which must never reach a candidate) and a hostile hint.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Report } from '../../runner/report/schema.ts';
import type { SubmissionStore } from '../../runner/store/submissions.ts';

const SOURCE = path.resolve('challenges/simple-api');

/** Put on the hidden test core.created-at-iso of every copy: no candidate view may contain it. */
export const HIDDEN_HINT = 'HIDDEN-HINT-do-not-show: createdAt must come from toISOString()';
/** The hint of the visible test core.create in the `hostile` copy. */
export const HOSTILE_HINT = '<img src=x onerror="window.__pwned=3">Answer 201 & the task';

interface Variant {
  attempts?: { max?: number; cooldownSeconds?: number };
  version?: string;
  /** Hint of the visible test core.create, instead of the built-in one. */
  createHint?: string;
}

export interface FeedbackChallenges {
  dir: string;
  close(): Promise<void>;
}

/** A challenges directory holding one copy of simple-api per entry of `variants` (id -> changes). */
export async function feedbackChallenges(variants: Record<string, Variant>): Promise<FeedbackChallenges> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'assay-feedback-'));
  const source = JSON.parse(await readFile(path.join(SOURCE, 'challenge.json'), 'utf8')) as { tests: { id: string; hint?: string }[] } & Record<string, unknown>;
  for (const [id, v] of Object.entries(variants)) {
    await cp(SOURCE, path.join(dir, id), { recursive: true });
    const tests = source.tests.map((t) => (t.id === 'core.created-at-iso' ? { ...t, hint: HIDDEN_HINT } : t.id === 'core.create' && v.createHint ? { ...t, hint: v.createHint } : t));
    const manifest = { ...source, id, tests, ...(v.version ? { version: v.version } : {}), ...(v.attempts ? { attempts: v.attempts } : {}) };
    await writeFile(path.join(dir, id, 'challenge.json'), JSON.stringify(manifest, null, 2));
  }
  return { dir, close: () => rm(dir, { recursive: true, force: true }) };
}

/** Ends a queued submission with `report` as its first run's, as the worker does (save, then complete). */
export async function finishWith(store: SubmissionStore, id: string, report: Report): Promise<void> {
  if (!(await store.saveReport(id, 1, report))) throw new Error(`${id} already has a report`);
  const done = await store.lifecycle.complete(id, 1, report);
  if (!done.ok) throw new Error(`could not complete ${id}: ${done.reason}`);
}
