// Which TCP ports the processes of this network namespace listen on, from the kernel's tables
// (/proc/net/tcp and /proc/net/tcp6). The grader shares the candidate's namespace, so it sees
// the candidate's sockets: a service listening on another port than PORT (the classic hard-coded
// 3000) is named at once instead of a bare timeout. Used by harness.mjs; the parsing is pure and
// tested on the host (runner/stages/run/listeners.test.ts).
import os from 'node:os';
import { readFile } from 'node:fs/promises';

/** The `st` column of a listening socket (TCP_LISTEN). */
const LISTEN = '0A';

/**
 * Listening sockets in one table's text: [{ address, port }], the address as text ("0.0.0.0",
 * "::", "127.0.0.1", "::ffff:127.0.0.1"). The kernel prints each 32-bit word of an address in
 * the host's byte order, hence `littleEndian`.
 */
export function parseListeners(text, { littleEndian = os.endianness() === 'LE' } = {}) {
  const out = [];
  for (const line of String(text).split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols[3] !== LISTEN) continue;
    const m = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(cols[1] ?? '');
    if (!m) continue;
    const bytes = [];
    for (let w = 0; w < m[1].length; w += 8) {
      const word = m[1].slice(w, w + 8).match(/../g).map((h) => parseInt(h, 16));
      bytes.push(...(littleEndian ? word.reverse() : word));
    }
    out.push({ address: bytes.length === 4 ? bytes.join('.') : ipv6Text(bytes), port: parseInt(m[2], 16) });
  }
  return out;
}

function ipv6Text(bytes) {
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  // The longest run of zero groups (two or more) becomes "::".
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  if (best.len < 2) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

/** Addresses a connection to 127.0.0.1 (where the grader sends its requests) arrives at. */
const REACHABLE = new Set(['0.0.0.0', '127.0.0.1', '::', '::ffff:0.0.0.0', '::ffff:127.0.0.1']);

/** Every listening socket of this namespace; none when the tables cannot be read. */
export async function readListeners() {
  const tables = await Promise.all(['/proc/net/tcp', '/proc/net/tcp6'].map((f) => readFile(f, 'utf8').catch(() => '')));
  return tables.flatMap((t) => parseListeners(t));
}

const listOf = (items) => (items.length === 1 ? items[0] : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`);

/**
 * Why the service cannot be reached on `port` although it listens somewhere, in words the
 * candidate can act on; undefined when nothing of theirs listens, or when it listens where the
 * grader will reach it. `ignore`: ports that are not the service's (Assay's driver, the
 * challenge's Postgres or Redis, which share the namespace).
 */
export function listenerProblem(listeners, port, ignore = []) {
  const theirs = listeners.filter((l) => !ignore.includes(l.port));
  const onPort = theirs.filter((l) => l.port === port);
  if (onPort.some((l) => REACHABLE.has(l.address))) return undefined;
  if (onPort.length) {
    const at = [...new Set(onPort.map((l) => l.address))];
    return `the service listens on port ${port} only at ${listOf(at)}, which the grader cannot reach at 127.0.0.1: listen on every address (leave the host out of listen(), or use 0.0.0.0)`;
  }
  const ports = [...new Set(theirs.map((l) => l.port))].sort((a, b) => a - b);
  if (!ports.length) return undefined;
  const where = ports.length === 1 ? `port ${ports[0]}` : `ports ${listOf(ports)}`;
  return `the service listens on ${where}, not on ${port}: read the port from the PORT environment variable (PORT=${port})`;
}
