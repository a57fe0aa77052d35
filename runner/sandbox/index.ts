/** The sandbox module: the only code that talks to the Docker engine. */
export { CappedOutput, type CappedText } from './capped-output.ts';
export { LaunchedSandbox, SandboxContainer, SandboxStoppedError, type MainCapture, type StepRun, type StepRunOptions, type BackgroundProcess } from './container.ts';
export { WARM_JOB_ID, WarmContainers } from './warm.ts';
export { createDockerClient, isEngineUnavailable, pingEngine, type DockerClient } from './docker.ts';
export { buildCreateOptions, SANDBOX_UID, LABEL_DEPLOYMENT, LABEL_JOB, LABEL_MANAGED, LABEL_ROLE, LABEL_WORKER, type SandboxLimits, type SandboxNetwork, type SandboxSpec } from './host-config.ts';
export { countManaged, ensureNetwork, INSTALL_BRIDGE_INTERFACE, sweepLeftovers, type JanitorResult } from './janitor.ts';
export { defaultNodeMajor, loadImages, nodeImage, nodeMajors, type ImageRef, type Images, type VersionedImageRef } from './images.ts';
export { describeVerdict, verdictOf, VERDICTS, type ExitInfo, type Verdict } from './verdict.ts';
