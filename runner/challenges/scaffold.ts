/**
 * `assay challenge new`: copies a template from ./templates/<kind>/ into a new challenge folder.
 * Each template is a complete, working challenge (manifest, brief, hidden suite, a reference
 * that passes it, a starter that fails most of it, one known-bad variant), so a scaffold
 * validates as generated and the author edits from something that already works.
 */
import { constants } from 'node:fs';
import { access, cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CHALLENGE_KINDS, ManifestSchema, type ChallengeKind } from './manifest.ts';

const TEMPLATES_DIR = fileURLToPath(new URL('./templates/', import.meta.url));

/** Name of the JSON Schema file kept next to the challenge folders, for editor completion. */
export const SCHEMA_FILE_NAME = 'challenge.schema.json';

export type ScaffoldErrorCode = 'ID_INVALID' | 'KIND_INVALID' | 'ALREADY_EXISTS';

/** An author's request that cannot be carried out as given (nothing was written). */
export class ScaffoldError extends Error {
  override name = 'ScaffoldError';
  constructor(readonly code: ScaffoldErrorCode, message: string) {
    super(message);
  }
}

export interface ScaffoldOptions {
  id: string;
  kind: ChallengeKind;
  /** The challenges directory the new folder goes into. */
  rootDir: string;
  /** @defaultValue the id, capitalised, dashes as spaces */
  title?: string;
}

export interface ScaffoldResult {
  dir: string;
  /** Paths written, relative to rootDir. */
  files: string[];
  /** Set when the schema file did not exist in rootDir and was written there. */
  schemaFile?: string;
}

/** The manifest's JSON Schema (input side: fields with defaults are optional). */
export function manifestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ManifestSchema, { io: 'input' }) as Record<string, unknown>;
}

export async function scaffoldChallenge(opts: ScaffoldOptions): Promise<ScaffoldResult> {
  const idCheck = ManifestSchema.shape.id.safeParse(opts.id);
  if (!idCheck.success) throw new ScaffoldError('ID_INVALID', `invalid challenge id ${JSON.stringify(opts.id)}: ${idCheck.error.issues[0]?.message ?? 'invalid'}`);
  if (!CHALLENGE_KINDS.includes(opts.kind)) throw new ScaffoldError('KIND_INVALID', `--kind must be one of ${CHALLENGE_KINDS.join('|')}, not ${JSON.stringify(opts.kind)}`);
  const rootDir = path.resolve(opts.rootDir);
  const dir = path.join(rootDir, opts.id);
  if (await exists(dir)) throw new ScaffoldError('ALREADY_EXISTS', `${dir} already exists; choose another id or remove it first`);

  const title = opts.title ?? defaultTitle(opts.id);
  await mkdir(rootDir, { recursive: true });
  // errorOnExist + force:false: if the folder appears between the check and the copy, fail
  // rather than write into someone else's files.
  try {
    await cp(path.join(TEMPLATES_DIR, opts.kind), dir, { recursive: true, errorOnExist: true, force: false });
    const files = await listFiles(dir);
    for (const rel of files) {
      const file = path.join(dir, rel);
      const text = await readFile(file, 'utf8');
      const filled = rel === 'challenge.json' ? fillManifest(text, opts.id, title) : text.replaceAll('{{id}}', opts.id).replaceAll('{{title}}', title);
      if (filled !== text) await writeFile(file, filled);
    }
    let schemaFile: string | undefined;
    const schemaPath = path.join(rootDir, SCHEMA_FILE_NAME);
    if (!(await exists(schemaPath))) {
      await writeFile(schemaPath, `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`, { flag: 'wx' });
      schemaFile = schemaPath;
    }
    return { dir, files: files.map((f) => path.join(opts.id, f)), ...(schemaFile ? { schemaFile } : {}) };
  } catch (err) {
    // A half-written scaffold would be refused by the next `new`; remove it, keep the cause.
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}

/** Placeholders in the manifest are whole JSON strings, replaced with JSON-escaped values so the layout is kept. */
function fillManifest(template: string, id: string, title: string): string {
  return template.replaceAll('"{{id}}"', JSON.stringify(id)).replaceAll('"{{title}}"', JSON.stringify(title));
}

function defaultTitle(id: string): string {
  const words = id.split('-').filter(Boolean).join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

async function listFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const childRel = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, childRel)));
    else if (e.isFile()) out.push(childRel);
  }
  return out.sort();
}
