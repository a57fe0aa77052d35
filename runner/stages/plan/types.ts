/**
 * How a submission is installed, built and started: decided from its files alone (before any
 * of its code runs) by the plan modules, carried out by the install and run stages.
 */
import type { Runtime } from '../../challenges/manifest.ts';

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
      locked?: { inputsHash: string; verify?: { kind: 'npm'; lock: unknown } };
    };

export interface RuntimePlan {
  runtime: Runtime;
  install: InstallPlan;
  /** argv of the service (service challenges), run in /workspace with PORT set. */
  startArgv: string[];
  /** Extra environment of the start command (e.g. PATH into a virtual environment). */
  startEnv?: Record<string, string>;
}
