/**
 * A capped log as reports store it. A module of its own, with no imports from the report
 * schema, so that insight schemas (./insights-tests.ts) can use it while ./schema.ts imports them.
 */
import { z } from 'zod';

export const CappedLogSchema = z.object({
  text: z.string(),
  totalBytes: z.number().int(),
  cutBytes: z.number().int(),
});
