/**
 * The image manifest written by scripts/build-images.sh: which tag (a hash of the build inputs)
 * and image id each role uses. Reports name the exact image that graded them.
 *
 * Node.js comes in several majors: `node` is the default (the current LTS), and `nodeVersions`
 * lists every major built, the default included, each with its exact version. A manifest from
 * before `nodeVersions` existed still loads: it then offers the default only.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const ImageRef = z.object({ tag: z.string().min(1), id: z.string().min(1) });
const VersionedImageRef = ImageRef.extend({ version: z.string().regex(/^\d+\.\d+\.\d+$/) });
const ImagesSchema = z
  .object({
    node: ImageRef.extend({ version: VersionedImageRef.shape.version.optional() }),
    python: ImageRef,
    grader: ImageRef,
    /** Every Node.js major built, keyed by the major ("22"). */
    nodeVersions: z.record(z.string().regex(/^\d+$/), VersionedImageRef).optional(),
    /** The images of the services a challenge may declare (runner/stages/services/); absent in a manifest built before them. */
    services: z.object({ postgres: ImageRef.optional(), redis: ImageRef.optional() }).optional(),
    /** The analysers (insights: lint, size, secrets, diff; runner/stages/analysis/); absent in a manifest built before them, and then no analysis runs. */
    analysis: ImageRef.optional(),
  })
  .loose();
export type ImageRef = z.infer<typeof ImageRef>;
export type VersionedImageRef = z.infer<typeof VersionedImageRef>;
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

/** The Node.js majors this worker can run, each with its exact version; empty when the manifest does not say. */
export function nodeMajors(images: Images): { major: number; version: string }[] {
  const listed = Object.entries(images.nodeVersions ?? {}).map(([major, ref]) => ({ major: Number(major), version: ref.version }));
  if (listed.length) return listed.sort((a, b) => a.major - b.major);
  return images.node.version ? [{ major: Number(images.node.version.split('.')[0]), version: images.node.version }] : [];
}

/** The default Node.js major (the `node` image's), when the manifest says. */
export function defaultNodeMajor(images: Images): number | undefined {
  return images.node.version ? Number(images.node.version.split('.')[0]) : undefined;
}

/** The Node.js image of `major` (the default image when none is asked or that major is not built). */
export function nodeImage(images: Images, major?: number): ImageRef & { version?: string } {
  const picked = major === undefined ? undefined : images.nodeVersions?.[String(major)];
  return picked ?? images.node;
}
