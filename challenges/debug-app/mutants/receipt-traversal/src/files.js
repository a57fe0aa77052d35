import { readFile } from 'node:fs/promises';
import path from 'node:path';

const CONTENT_TYPES = {
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
};

export function contentTypeFor(fileName) {
  return CONTENT_TYPES[path.extname(fileName).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Reads a file that the API serves from `rootDir` (receipts).
 * Resolves to { body, contentType } or null when there is no such file.
 */
export async function readPublicFile(rootDir, name) {
  const filePath = path.join(rootDir, name);
  try {
    const body = await readFile(filePath);
    return { body, contentType: contentTypeFor(filePath) };
  } catch (err) {
    if (err.code === 'ENOENT' || err.code === 'EISDIR' || err.code === 'ENOTDIR') return null;
    throw err;
  }
}
