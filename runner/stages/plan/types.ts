/**
 * How a submission is installed, built and started: decided from its files alone (before any
 * of its code runs) by the plan modules, carried out by the install and run stages.
 */
import type { Runtime } from '../../challenges/manifest.ts';
import type { TreeCheck } from '../install/restored-tree.ts';
import type { Flag } from '../../report/schema.ts';
import type { NodeVersionChoice } from './node-version.ts';

/** Who installs the dependencies (each has its own lockfile format and policy check). */
export type PackageManager = 'npm' | 'pnpm' | 'yarn' | 'pip';

export type InstallPlan =
  | { kind: 'skip'; reason: string }
  /** The dependencies break the policy (not from the registry, ...): the candidate's outcome. */
  | { kind: 'reject'; reason: string }
  | {
      kind: 'run';
      manager: PackageManager;
      /** Run in the throwaway install container, in /workspace. */
      argv: string[];
      /** Manager settings forced through the environment (they outrank any project configuration). */
      env?: Record<string, string>;
      dependencies: number;
      /** Workspace paths the install produces; they are handed to the candidate's container as a tar. */
      outputs: string[];
      /**
       * Set only for reproducible (lockfile) installs, which the dependency cache may keep:
       * the hash of every install input in the repository, and what to check a cached tree against.
       */
      locked?: { inputsHash: string; verify?: TreeCheck };
      /** pnpm or yarn: which one of those baked into the image runs (the report names it). */
      tool?: { name: string; version: string };
      /**
       * Files that replace the repository's own in the install container only, e.g. a lockfile
       * whose public-registry URLs were mapped to the configured registry. The candidate's
       * container gets the files as committed.
       */
      installFiles?: { path: string; content: Buffer }[];
      /**
       * Node: the command that runs the install scripts of the named dependencies (names are
       * appended), used when the challenge runs scripts (`install.scripts: "sandboxed"`). The
       * project's own lifecycle scripts never run.
       */
      rebuildArgv?: string[];
      /** What the report's install step should say about the plan (a package manager version that was not available...). */
      notes?: string[];
    };

export interface RuntimePlan {
  runtime: Runtime;
  install: InstallPlan;
  /** argv of the service (service challenges), run in /workspace with PORT set. */
  startArgv: string[];
  /** Extra environment of the start command (e.g. PATH into a virtual environment). */
  startEnv?: Record<string, string>;
  /** What the start step's reason adds when the service does not start (a script with CRLF line endings...). */
  startHints?: string[];
  /** Where the start command came from: the runtime's convention, or the Procfile's `web:` line. */
  startFrom?: 'convention' | 'Procfile';
  /**
   * The project's own build (package.json `build` script), run in the candidate's sandbox with
   * no network after the install and before the start (runner/stages/build/).
   */
  build?: { argv: string[]; env: Record<string, string>; /** How the report names the command: `npm run build`, or `the build script` (never its text). */ label: string };
  /** Node only: the Node.js major chosen for the submission's requirements (install and candidate image). */
  nodeVersion?: NodeVersionChoice;
  /** What planning noticed that the report should carry (e.g. `runtime_version`); the pack stage reports them. */
  flags?: Flag[];
}
