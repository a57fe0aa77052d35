/** The runner's version, recorded in every report. */
import { readFileSync } from 'node:fs';

export const RUNNER_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
