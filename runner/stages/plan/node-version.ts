/**
 * Which Node.js major grades a submission: the one its files ask for (`.nvmrc`,
 * `.node-version`, `engines.node` in package.json), among the majors the worker has images
 * for. When every requirement can be met, the default major is kept if it meets them, else the
 * newest one that does. When they cannot, the major closest to the first requirement is used
 * and the choice says what could not be met (the report flags it: `runtime_version`), so the
 * candidate learns why rather than guessing from a crash.
 *
 * Version files (.nvmrc, .node-version) are read at the major: `22.1.0` asks for Node 22, and
 * the worker's 22.x satisfies it (one image per major). `engines.node` is a semver range and is
 * checked against the exact version of the image. Ranges are parsed with `semver`, npm's own.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import semver from 'semver';
import { isRegularFile } from './files.ts';

export type NodeVersionSource = '.nvmrc' | '.node-version' | 'engines.node';

/** One Node major the worker has an image for. */
export interface AvailableNode {
  major: number;
  /** The exact version in that image, e.g. `22.23.5`. */
  version: string;
}

export interface NodeRequirement {
  source: NodeVersionSource;
  /** As written (trimmed, at most 100 characters). */
  spec: string;
}

export interface NodeVersionChoice {
  major: number;
  version: string;
  /** What the submission asked for, in order of precedence. */
  requested: NodeRequirement[];
  /** In words, when a requirement could not be met or read. */
  unmet?: string;
}

/** LTS code names nvm accepts as `lts/<name>`. */
const LTS_NAMES: Record<string, number> = { argon: 4, boron: 6, carbon: 8, dubnium: 10, erbium: 12, fermium: 14, gallium: 16, hydrogen: 18, iron: 20, jod: 22, krypton: 24 };
const VERSION_FILES = ['.nvmrc', '.node-version'] as const;
const MAX_FILE_BYTES = 1024;

/** The requirements in dir (a regular file each, never a symlink) and in package.json's engines. */
export async function readNodeRequirements(dir: string, pkg: unknown): Promise<NodeRequirement[]> {
  const out: NodeRequirement[] = [];
  for (const name of VERSION_FILES) {
    const file = path.join(dir, name);
    if (!(await isRegularFile(file))) continue;
    const bytes = await readFile(file);
    const spec = versionFileSpec(bytes.subarray(0, MAX_FILE_BYTES).toString('utf8'));
    if (spec) out.push({ source: name, spec });
  }
  const engines = (pkg as { engines?: { node?: unknown } } | null)?.engines;
  const node = engines && typeof engines === 'object' ? engines.node : undefined;
  if (typeof node === 'string' && node.trim()) out.push({ source: 'engines.node', spec: node.trim().slice(0, 100) });
  return out;
}

/** The first meaningful line of a version file (nvm allows comments after `#`). */
function versionFileSpec(text: string): string | undefined {
  for (const line of text.split(/\r?\n/)) {
    const v = line.replace(/#.*/, '').trim();
    if (v) return v.slice(0, 100);
  }
  return undefined;
}

/** A requirement as a semver range, or why it cannot be read. */
function toRange(req: NodeRequirement, available: readonly AvailableNode[], defaultMajor: number): { range: string } | { ignore: true } | { problem: string } {
  if (req.source === 'engines.node') {
    const range = semver.validRange(req.spec);
    return range ? { range } : { problem: `engines.node is "${req.spec}", which is not a version range` };
  }
  const v = req.spec.toLowerCase();
  if (v === 'system') return { ignore: true };
  if (v === 'node' || v === 'stable' || v === 'latest' || v === 'current') return { range: `${Math.max(...available.map((a) => a.major))}.x` };
  if (v === 'lts/*' || v === 'lts') return { range: `${defaultMajor}.x` };
  const back = /^lts\/-(\d+)$/.exec(v);
  if (back) return { range: `${defaultMajor - 2 * Number(back[1])}.x` };
  const named = /^lts\/([a-z]+)$/.exec(v);
  if (named) return named[1]! in LTS_NAMES ? { range: `${LTS_NAMES[named[1]!]}.x` } : { problem: `${req.source} asks for "${req.spec}", an LTS name Assay does not know; write the major version (e.g. ${defaultMajor}) instead` };
  const version = /^v?(\d+)(?:\.\d+){0,2}$/.exec(v);
  if (version) return { range: `${Number(version[1])}.x` };
  const range = semver.validRange(v);
  return range ? { range } : { problem: `${req.source} is "${req.spec}", which is not a Node.js version` };
}

/** Majors 0..99 that some version in `range` has. */
function majorsOf(range: string): number[] {
  const out: number[] = [];
  for (let m = 0; m < 100; m++) if (semver.intersects(range, `${m}.x`)) out.push(m);
  return out;
}

/** How far an image is from a range: 0 when it satisfies it, 0.5 when only its major matches. */
function distance(node: AvailableNode, range: string): number {
  if (semver.satisfies(node.version, range)) return 0;
  const majors = majorsOf(range);
  if (majors.includes(node.major)) return 0.5;
  return majors.length ? Math.min(...majors.map((m) => Math.abs(m - node.major))) : Number.POSITIVE_INFINITY;
}

/**
 * The Node major for these requirements among `available` (non-empty; `defaultMajor` among
 * them). Pure.
 */
export function chooseNodeVersion(requested: readonly NodeRequirement[], available: readonly AvailableNode[], defaultMajor: number): NodeVersionChoice {
  const fallback = available.find((a) => a.major === defaultMajor) ?? available[0]!;
  // Default first, then newest to oldest: the order of preference among equals.
  const ordered = [fallback, ...[...available].filter((a) => a !== fallback).sort((a, b) => b.major - a.major)];
  const parsed = requested.map((req) => ({ req, ...toRange(req, available, defaultMajor) }));
  const ranges = parsed.filter((p): p is typeof p & { range: string } => 'range' in p);
  const problems = parsed.filter((p): p is typeof p & { problem: string } => 'problem' in p).map((p) => p.problem);

  let chosen = ordered.find((node) => ranges.every((r) => semver.satisfies(node.version, r.range))) ?? fallback;
  const primary = ranges[0];
  if (primary && !ranges.every((r) => semver.satisfies(chosen.version, r.range))) {
    let best = Number.POSITIVE_INFINITY;
    for (const node of ordered) {
      const d = distance(node, primary.range);
      // Strictly closer wins; among equals, the default, then the newer (ordered) stays.
      if (d < best) {
        best = d;
        chosen = node;
      }
    }
  }
  const missed = ranges.filter((r) => !semver.satisfies(chosen.version, r.range)).map((r) => `${r.req.source} asks for "${r.req.spec}"`);
  const unmet = [...problems, ...missed];
  const have = available.map((a) => a.major).sort((a, b) => a - b).join(', ');
  return {
    major: chosen.major,
    version: chosen.version,
    requested: [...requested],
    ...(unmet.length ? { unmet: `${unmet.join('; ')}. Assay has Node.js ${have}; this submission was graded with ${chosen.version}${missed.length ? ', the closest' : ''}` } : {}),
  };
}
