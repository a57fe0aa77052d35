/**
 * Which repository URLs and refs the fetch stage accepts. The candidate controls both, so
 * everything here fails closed: a URL is accepted only when it is plainly `https://host/path`
 * (plain http only when the policy allows it), its host is a DNS name or an IP literal that
 * passes the address check, and every address the name resolves to is public. The address that
 * was checked is the one git is pinned to (see fetch.ts), so a second DNS answer cannot move the
 * connection elsewhere (DNS rebinding).
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP, isIPv4, isIPv6 } from 'node:net';
import type { FetchPolicy } from '../config.ts';
import { PlatformError, SubmissionError } from '../errors.ts';
import { browserLinkProblem } from './browser-url.ts';

/** URLs longer than this are refused before parsing. */
export const MAX_URL_LENGTH = 2048;
/** Refs longer than this are refused. */
export const MAX_REF_LENGTH = 200;

export interface ParsedRepoUrl {
  /** The WHATWG-normalised URL; its `href` is what git receives, so git sees what was checked. */
  url: URL;
  /** Lower-case host name, or the IP address without brackets for an IP literal. */
  host: string;
}

const reject = (reason: string) => new SubmissionError('URL_REJECTED', `the repository URL is not allowed: ${reason}`);

// One DNS label: letters, digits and inner hyphens (IDNs arrive here already as punycode).
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Parses and checks a candidate's repository URL against the policy. Throws
 * `SubmissionError('URL_REJECTED')` whose message says what was wrong. Does no network I/O;
 * call {@link resolveAllowedAddress} on the returned host before connecting.
 */
export function parseRepoUrl(raw: string, policy: FetchPolicy): ParsedRepoUrl {
  if (typeof raw !== 'string' || raw.length === 0) throw reject('it is empty');
  if (raw.length > MAX_URL_LENGTH) throw reject(`it is longer than ${MAX_URL_LENGTH} characters`);
  if (raw.startsWith('-')) throw reject('it starts with "-" and would be read as a command-line option');
  // Checked on the raw text: the URL parser would silently strip or re-encode these.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(raw)) throw reject('it contains control characters');
  if (/\s/u.test(raw)) throw reject('it contains whitespace');
  if (raw.includes('\\')) throw reject('it contains a backslash');
  // git's `<transport>::<address>` syntax runs a remote helper (`ext::sh -c ...` runs anything).
  if (/^[A-Za-z0-9][A-Za-z0-9+.-]*::/.test(raw)) throw reject('remote-helper URLs ("transport::address", e.g. ext::) are not allowed; use https://');

  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(raw)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (/^file:/i.test(raw)) throw reject('the "file:" scheme is not allowed; use https://');
    if (/^[/.~]/.test(raw) || /^[A-Za-z]:\//.test(raw)) throw reject('local paths are not allowed; use an https:// URL');
    if (/^[^/]*:/.test(raw)) throw reject('scp-style "user@host:path" addresses are not allowed; use an https:// URL');
    throw reject('it is not an https:// URL (local paths are not allowed)');
  }
  const allowedSchemes = policy.allowHttp ? ['https', 'http'] : ['https'];
  if (!allowedSchemes.includes(scheme)) {
    throw reject(`the "${scheme}://" scheme is not allowed; use ${policy.allowHttp ? 'https:// or http://' : 'https://'}`);
  }

  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw reject('it is not a valid URL');
  }
  if (url.username !== '' || url.password !== '' || /^[a-z]+:\/\/[^/?#]*@/i.test(raw)) {
    throw reject('credentials in the URL are not allowed (private repositories use the configured tokens)');
  }
  if (url.search !== '' || raw.includes('?')) throw reject('a query string is not allowed');
  if (url.hash !== '' || raw.includes('#')) throw reject('a fragment ("#...") is not allowed');
  if (url.pathname === '/' || url.pathname === '') throw reject('it has no repository path');

  // The WHATWG parser has already turned decimal, hex and octal IPv4 forms into dotted quads
  // and compressed IPv6, so every spelling of an address is checked as an address here.
  let host = url.hostname.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '') throw reject('it has no host');
  if (isIP(host) !== 0) {
    if (!policy.allowPrivate && isPrivateAddress(host)) {
      throw reject(`the host ${host} is a private, loopback or reserved address`);
    }
  } else {
    const labels = host.split('.');
    if (host.length > 253 || !labels.every((l) => LABEL.test(l))) {
      throw reject(`"${host}" is not a valid host name`);
    }
    if (/^\d+$/.test(labels[labels.length - 1] ?? '')) throw reject(`"${host}" is not a valid host name`);
  }
  if (policy.allowedHosts.length > 0 && !policy.allowedHosts.some((h) => h.toLowerCase() === host)) {
    throw reject(`the host ${host} is not one of the allowed hosts (${policy.allowedHosts.join(', ')})`);
  }
  const page = browserLinkProblem(url, host);
  if (page) throw reject(page);
  return { url, host };
}

// Special-purpose ranges (IANA IPv4/IPv6 special-purpose registries) that a fetch must never reach.
const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local (cloud metadata lives here)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // TEST-NET-1
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // TEST-NET-2
  ['203.0.113.0', 24], // TEST-NET-3
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, includes broadcast 255.255.255.255
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 96], // unspecified, loopback and the deprecated IPv4-compatible block
  ['100::', 64], // discard-only
  ['2001::', 23], // IETF protocol assignments (Teredo, ORCHID, ...)
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique-local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv6');
}

/**
 * True when `ip` is loopback, private, link-local, unique-local, CGNAT, multicast, broadcast,
 * unspecified or otherwise reserved, including those IPv4 addresses embedded in IPv6 (mapped
 * `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`). A string that is not an IP address
 * counts as private: the caller is checking before connecting, so unknown means no.
 */
export function isPrivateAddress(ip: string): boolean {
  const addr = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  if (isIPv4(addr)) return BLOCKED.check(addr, 'ipv4');
  const bare = addr.replace(/%.*$/, ''); // zone id (fe80::1%eth0)
  if (!isIPv6(bare)) return true;
  const bytes = ipv6Bytes(bare);
  if (bytes === null) return true;
  const embedded = embeddedIPv4(bytes);
  if (embedded !== null) return BLOCKED.check(embedded, 'ipv4');
  return BLOCKED.check(bare, 'ipv6');
}

/** The IPv4 address carried inside an IPv4-mapped, NAT64 or 6to4 IPv6 address, if any. */
function embeddedIPv4(b: number[]): string | null {
  const isZero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const v4 = (at: number) => b.slice(at, at + 4).join('.');
  if (isZero(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4(12); // ::ffff:0:0/96
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && isZero(4, 12)) return v4(12); // 64:ff9b::/96
  if (b[0] === 0x20 && b[1] === 0x02) return v4(2); // 2002::/16
  return null;
}

/** 16 bytes of an IPv6 address already validated by `isIPv6`; null if it cannot be expanded. */
function ipv6Bytes(addr: string): number[] | null {
  let text = addr.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (dotted !== undefined) {
    const [a, b, c, d] = dotted.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -dotted.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...Array<string>(fill).fill('0'), ...tail];
  if (groups.length !== 8) return null;
  const bytes: number[] = [];
  for (const g of groups) {
    const n = parseInt(g, 16);
    if (!/^[0-9a-f]{1,4}$/.test(g) || Number.isNaN(n)) return null;
    bytes.push(n >> 8, n & 0xff);
  }
  return bytes;
}

/**
 * Resolves `host` and returns the address git must connect to. Refuses (URL_REJECTED) when any
 * address is private unless the policy allows it: one private answer among public ones is
 * enough to reach an internal service on a retry. A name that does not exist is the
 * candidate's (REPO_NOT_FOUND); any other resolver failure is a retryable FETCH_NETWORK.
 */
export async function resolveAllowedAddress(host: string, policy: FetchPolicy): Promise<string> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  let addresses: string[];
  if (isIP(bare) !== 0) {
    addresses = [bare];
  } else {
    try {
      addresses = (await lookup(bare, { all: true, verbatim: true })).map((a) => a.address);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') {
        throw new SubmissionError('REPO_NOT_FOUND', `the host ${bare} does not exist (DNS lookup found no address)`, { cause: err });
      }
      throw new PlatformError('FETCH_NETWORK', `DNS lookup of ${bare} failed (${code ?? 'unknown error'})`, true, { cause: err });
    }
  }
  const first = addresses[0];
  if (first === undefined) throw new SubmissionError('REPO_NOT_FOUND', `the host ${bare} has no address`);
  if (!policy.allowPrivate) {
    const bad = addresses.find((a) => isPrivateAddress(a));
    if (bad !== undefined) throw reject(`the host ${bare} resolves to a private address (${bad})`);
  }
  return first;
}

/**
 * Checks a branch, tag or commit name in the manner of `git check-ref-format`, plus what would
 * change its meaning on git's command line or as a refspec (a leading `-` or `+`, `:`).
 * Returns the ref unchanged; throws `SubmissionError('REF_INVALID')` with the reason.
 */
export function validateRef(ref: string): string {
  const bad = (reason: string) => new SubmissionError('REF_INVALID', `the ref is not valid: ${reason}`);
  if (typeof ref !== 'string' || ref.length === 0) throw bad('it is empty');
  if (ref.length > MAX_REF_LENGTH) throw bad(`it is longer than ${MAX_REF_LENGTH} characters`);
  if (/[\u0000-\u001f\u007f-\u009f]/.test(ref)) throw bad('it contains control characters');
  if (/\s/u.test(ref)) throw bad('it contains whitespace');
  if (ref.startsWith('-')) throw bad('it starts with "-" and would be read as a command-line option');
  if (ref.startsWith('+')) throw bad('it starts with "+"');
  const forbidden = /[~^:?*[\\]/.exec(ref)?.[0];
  if (forbidden !== undefined) throw bad(`it contains the character "${forbidden}"`);
  if (ref.includes('..')) throw bad('it contains ".."');
  if (ref.includes('@{')) throw bad('it contains "@{"');
  if (ref === '@') throw bad('"@" alone is not a ref');
  if (ref.startsWith('/')) throw bad('it starts with "/"');
  if (ref.endsWith('/')) throw bad('it ends with "/"');
  if (ref.includes('//')) throw bad('it contains "//"');
  if (ref.endsWith('.')) throw bad('it ends with "."');
  for (const part of ref.split('/')) {
    if (part.startsWith('.')) throw bad('a path component starts with "."');
    if (part.endsWith('.lock')) throw bad('a path component ends with ".lock"');
  }
  return ref;
}
