/**
 * Builds pure-Python wheels in memory, for tests that need packages from an index this machine
 * can serve (PyPI is not reachable): a wheel is a zip holding the package's files and a
 * `<name>-<version>.dist-info/` folder with METADATA, WHEEL and RECORD (PEP 427, 491).
 *
 * ```ts
 * const wheel = buildWheel({ name: 'base-kit', version: '1.0.0', files: { 'basekit/__init__.py': 'X = 1\n' } });
 * // wheel.filename === 'base_kit-1.0.0-py3-none-any.whl'
 * ```
 */
import { createHash } from 'node:crypto';

export interface WheelSpec {
  /** Project name as published (any case, `-`, `_` or `.`). */
  name: string;
  version: string;
  /** Paths inside the wheel (e.g. `pkg/__init__.py`) and their text. */
  files: Record<string, string>;
  /** `Requires-Dist` lines (PEP 508), e.g. `base-kit>=1.0`. */
  requires?: string[];
  /** `Requires-Python`, e.g. `>=3.8`. */
  requiresPython?: string;
}

export interface Wheel {
  /** PEP 503 normalised project name (the index folder). */
  project: string;
  version: string;
  filename: string;
  bytes: Buffer;
  /** Hex sha256 of the file, as in `--hash=sha256:<hex>` and the index's `#sha256=` fragments. */
  sha256: string;
  requiresPython?: string;
}

export function normalizeProject(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

export function buildWheel(spec: WheelSpec): Wheel {
  const dist = `${spec.name.replace(/[-_.]+/g, '_')}-${spec.version}`;
  const info = `${dist}.dist-info`;
  const metadata = [
    'Metadata-Version: 2.1',
    `Name: ${spec.name}`,
    `Version: ${spec.version}`,
    ...(spec.requiresPython ? [`Requires-Python: ${spec.requiresPython}`] : []),
    ...(spec.requires ?? []).map((r) => `Requires-Dist: ${r}`),
    '',
  ].join('\n');
  const entries: [string, Buffer][] = [
    ...Object.entries(spec.files).map(([p, text]) => [p, Buffer.from(text)] as [string, Buffer]),
    [`${info}/METADATA`, Buffer.from(metadata)],
    [`${info}/WHEEL`, Buffer.from('Wheel-Version: 1.0\nGenerator: assay-devtools\nRoot-Is-Purelib: true\nTag: py3-none-any\n')],
  ];
  const record = entries.map(([p, b]) => `${p},sha256=${createHash('sha256').update(b).digest('base64url')},${b.length}`).concat(`${info}/RECORD,,`, '').join('\n');
  entries.push([`${info}/RECORD`, Buffer.from(record)]);
  const bytes = zip(entries);
  return {
    project: normalizeProject(spec.name),
    version: spec.version,
    filename: `${dist}-py3-none-any.whl`,
    bytes,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    ...(spec.requiresPython ? { requiresPython: spec.requiresPython } : {}),
  };
}

/** A zip archive with every entry stored (no compression): all a wheel needs. */
export function zip(entries: readonly (readonly [string, Buffer])[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  // 1980-01-01 00:00, the zip epoch: the same bytes on every build.
  const dosTime = 0;
  const dosDate = (1 << 5) | 1;
  for (const [name, data] of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, nameBytes, data);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0 (so the mode below is read)
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(((0o100644 << 16) >>> 0), 38); // regular file, rw-r--r--
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const centralBytes = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralBytes, end]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The packages the tests' index serves (test/python-deps.test.ts, the realistic corpus):
 * `tinyid` (short unique ids, like shortuuid) depends on `base-kit` (base-N encoding), so an
 * install shows pip resolving a dependency from the index; `base-kit` also has an older version,
 * so a range picks the newest. The names are those of no package this project depends on.
 */
export function testPackages(): Wheel[] {
  const basekit = (version: string) =>
    buildWheel({
      name: 'base-kit',
      version,
      requiresPython: '>=3.8',
      files: {
        'basekit/__init__.py': [
          '"""Base-N encoding of integers."""',
          `__version__ = "${version}"`,
          'BASE57 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"',
          '',
          'def encode(number, alphabet=BASE57, length=0):',
          '    if number < 0:',
          '        raise ValueError("number must not be negative")',
          '    digits = []',
          '    while number:',
          '        number, rest = divmod(number, len(alphabet))',
          '        digits.append(alphabet[rest])',
          '    return "".join(reversed(digits)).rjust(length, alphabet[0])',
          '',
        ].join('\n'),
      },
    });
  return [
    basekit('1.0.0'),
    basekit('1.2.0'),
    buildWheel({
      name: 'tinyid',
      version: '2.0.1',
      requires: ['base-kit>=1.1'],
      files: {
        'tinyid/__init__.py': [
          '"""Short unique ids: a random UUID in base 57, 22 characters."""',
          'import uuid',
          'import basekit',
          '__version__ = "2.0.1"',
          '',
          'def new():',
          '    return basekit.encode(uuid.uuid4().int, length=22)',
          '',
        ].join('\n'),
      },
    }),
  ];
}
