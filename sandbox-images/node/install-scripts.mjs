#!/usr/bin/env node
// Lists the installed packages that have install scripts. Run by the install stage in the
// throwaway install container right after the install (scripts off), so nothing it reads
// has run: every file under node_modules came from the registry.
// Takes: the node_modules folder (default /workspace/node_modules).
// Does: walks npm's and yarn's nested trees and pnpm's .pnpm store, never following a
//   symlink, and reads each package.json: `preinstall`, `install` or `postinstall` scripts,
//   or a binding.gyp (which package managers build with `node-gyp rebuild` by default).
// Prints: one JSON line {"packages":[{"name","version","scripts":{...},"gyp","prebuilds"}],"truncated"}.
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = process.argv[2] ?? '/workspace/node_modules';
const MAX_PACKAGES = 200;
const MAX_DIRS = 100_000;
const packages = new Map();
let dirs = 0;
let truncated = false;

const kind = (p) => {
  try {
    const st = lstatSync(p);
    return st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
  } catch {
    return 'none';
  }
};
const list = (dir) => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

function visitPackage(dir, name) {
  if (++dirs > MAX_DIRS) return void (truncated = true);
  if (kind(dir) !== 'dir') return; // pnpm's top-level links and .bin entries point at real folders visited elsewhere
  let pkg;
  try {
    pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  } catch {
    pkg = undefined;
  }
  if (pkg && typeof pkg === 'object') {
    const declared = pkg.scripts && typeof pkg.scripts === 'object' ? pkg.scripts : {};
    const scripts = {};
    for (const hook of ['preinstall', 'install', 'postinstall']) {
      if (typeof declared[hook] === 'string' && declared[hook].trim()) scripts[hook] = declared[hook].slice(0, 200);
    }
    const gyp = kind(path.join(dir, 'binding.gyp')) === 'file';
    const version = typeof pkg.version === 'string' ? pkg.version.slice(0, 50) : '';
    const key = `${name}@${version}`;
    if ((Object.keys(scripts).length || gyp) && !packages.has(key)) {
      if (packages.size >= MAX_PACKAGES) truncated = true;
      else packages.set(key, { name, version, scripts, gyp, prebuilds: kind(path.join(dir, 'prebuilds')) === 'dir' });
    }
  }
  visitTree(path.join(dir, 'node_modules'));
}

function visitTree(nm) {
  for (const entry of list(nm)) {
    if (entry === '.pnpm') {
      // pnpm: .pnpm/<id>/node_modules/<name> is the package; its siblings there are links.
      for (const id of list(path.join(nm, entry))) visitTree(path.join(nm, entry, id, 'node_modules'));
    } else if (entry.startsWith('.')) {
      continue;
    } else if (entry.startsWith('@')) {
      for (const sub of list(path.join(nm, entry))) visitPackage(path.join(nm, entry, sub), `${entry}/${sub}`);
    } else {
      visitPackage(path.join(nm, entry), entry);
    }
  }
}

visitTree(root);
process.stdout.write(`${JSON.stringify({ packages: [...packages.values()], truncated })}\n`);
