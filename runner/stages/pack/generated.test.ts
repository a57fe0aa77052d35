import { describe, expect, it } from 'vitest';
import { generatedFolderHint } from './generated.ts';

describe('generatedFolderHint', () => {
  it('names a generated folder on the path and what to do about it', () => {
    expect(generatedFolderHint('node_modules/typescript/lib/tsc.js')).toBe(' (counting stopped in node_modules/: leave it out of the repository with a .gitignore line "node_modules/"; dependencies belong in package.json and its lockfile, from which the install puts them there)');
    expect(generatedFolderHint('backend/.venv/lib/python3.11/site.py')).toMatch(/in \.venv\/: .*requirements\.txt/);
  });

  it('adds nothing for the candidate\'s own files', () => {
    expect(generatedFolderHint('src/data/fixtures/a.json')).toBe('');
    expect(generatedFolderHint('constructor/a.js')).toBe('');
  });
});
