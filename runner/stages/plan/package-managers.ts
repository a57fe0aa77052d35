/**
 * Which pnpm or yarn runs a submission's install. They come from the npm registry, baked into
 * the node image by scripts/build-images.sh (package-managers.json is the one list both read),
 * and run with the image's node. package.json's `packageManager` field (`pnpm@9.12.0`,
 * `yarn@4.5.1+sha512...`) picks the major; a major Assay does not have gets the closest one,
 * with a note for the report. Nothing is downloaded at install time (corepack and pnpm's own
 * version switching are off: a version the candidate names must not fetch and run a tool). Pure.
 */
import baked from './package-managers.json' with { type: 'json' };

/** Where the image unpacks each package manager: /opt/assay/pm/<id>/. */
export const PM_ROOT = '/opt/assay/pm';

export interface BakedManager {
  /** Directory name under PM_ROOT, e.g. `pnpm-10`. */
  id: string;
  /** The npm package it comes from. */
  package: string;
  version: string;
  /** Its CLI entry, relative to its directory (run with node). */
  entry: string;
}

export type Tool = 'pnpm' | 'yarn';

export const BAKED: Readonly<Record<Tool, readonly BakedManager[]>> = { pnpm: baked.pnpm, yarn: baked.yarn };

/** `name@version` from package.json's packageManager, without the `+sha...` hash; undefined when absent or malformed. */
export function parsePackageManagerField(value: unknown): { name: string; version: string } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(npm|pnpm|yarn|bun)@(\d+(?:\.\d+){0,2}(?:-[\w.]+)?)(?:\+[\w.-]+)?$/.exec(value.trim());
  return m ? { name: m[1]!, version: m[2]! } : undefined;
}

function major(version: string): number {
  return Number(version.split('.')[0]);
}

export interface ManagerPick {
  baked: BakedManager;
  /** Absolute path of the CLI entry in the image. */
  entryPath: string;
  /** Set when the version differs in major from the one asked for. */
  note?: string;
}

/**
 * The baked version for a requested one: the same major, or else the closest major (the lower
 * on a tie). `among` narrows the candidates (yarn classic vs berry).
 */
export function pickVersion(tool: Tool, requested: string | undefined, among: (m: BakedManager) => boolean = () => true): ManagerPick {
  const options = BAKED[tool].filter(among);
  if (options.length === 0) throw new Error(`no ${tool} in package-managers.json matches`);
  const newest = options.reduce((a, b) => (major(b.version) > major(a.version) ? b : a));
  let chosen = newest;
  if (requested !== undefined) {
    const want = major(requested);
    chosen = options.reduce((best, m) => {
      const d = Math.abs(major(m.version) - want);
      const bd = Math.abs(major(best.version) - want);
      return d < bd || (d === bd && major(m.version) < major(best.version)) ? m : best;
    });
  }
  const pick: ManagerPick = { baked: chosen, entryPath: `${PM_ROOT}/${chosen.id}/${chosen.entry}` };
  if (requested !== undefined && major(requested) !== major(chosen.version)) {
    pick.note = `package.json asks for ${tool}@${requested}; Assay has ${BAKED[tool].map((m) => m.version).join(', ')}, so ${tool} ${chosen.version} (the closest) was used`;
  }
  return pick;
}
