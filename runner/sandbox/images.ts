/**
 * The image manifest written by scripts/build-images.sh: which tag (a hash of the build inputs)
 * and image id each role uses. Reports name the exact image that graded them.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const ImageRef = z.object({ tag: z.string().min(1), id: z.string().min(1) });
const ImagesSchema = z.object({ node: ImageRef, python: ImageRef, grader: ImageRef }).loose();
export type ImageRef = z.infer<typeof ImageRef>;
export type Images = z.infer<typeof ImagesSchema>;

export function loadImages(file: string): Images {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`image manifest ${file} not found: run scripts/build-images.sh (or scripts/setup.sh) first`);
  }
  return ImagesSchema.parse(JSON.parse(raw));
}
