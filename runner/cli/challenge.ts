import type { Command } from 'commander';

/** `assay challenge ...` commands (authoring toolkit). */
export function registerChallengeCommands(program: Command): void {
  program.command('challenge').description('author tools for challenges');
}
