/**
 * Writes the challenge manifest's JSON Schema, generated from ManifestSchema (zod), so editors
 * complete and check challenge.json files that carry "$schema": "../challenge.schema.json".
 * Takes: an optional output path (default challenges/challenge.schema.json).
 * Does: z.toJSONSchema with io 'input' (fields with defaults are optional), written as JSON.
 * Prints: the path written. Run: npx tsx scripts/export-challenge-schema.ts
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { manifestJsonSchema, SCHEMA_FILE_NAME } from '../runner/challenges/scaffold.ts';

const out = path.resolve(process.argv[2] ?? path.join('challenges', SCHEMA_FILE_NAME));
await writeFile(out, `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${out}\n`);
