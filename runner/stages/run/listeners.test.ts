/**
 * The grader's reading of the kernel's socket tables (sandbox-images/grader/listeners.mjs, plain
 * JavaScript that runs in the grader image), tested here on the host with tables as a container
 * prints them, and once on this machine's own /proc.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';

interface Listener {
  address: string;
  port: number;
}
interface Listeners {
  parseListeners(text: string, opts?: { littleEndian?: boolean }): Listener[];
  readListeners(): Promise<Listener[]>;
  listenerProblem(listeners: Listener[], port: number, ignore?: number[]): string | undefined;
}
const l = (await import(new URL('../../../sandbox-images/grader/listeners.mjs', import.meta.url).href)) as Listeners;

// Printed in a candidate's namespace (x86-64) with servers on 127.0.0.1:3000, :::5000 and 0.0.0.0:8081, plus one connection.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 7336291 1 000000004877c769 100 0 0 10 0
   1: 00000000:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 7336294 1 000000008db130de 100 0 0 10 0
   2: 0100007F:0BB8 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000  1000        0 7336295 1 000000008db130de 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1388 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 7336290 1 0000000074b38e87 100 0 0 10 0
   1: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 7336299 1 0000000074b38e87 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1F92 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 7336300 1 0000000074b38e87 100 0 0 10 0
   3: 000080FE00000000FF00AA02FE0000BB:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 7336301 1 0000000074b38e87 100 0 0 10 0
`;

describe('the socket tables', () => {
  it('lists listening sockets only, with their address and port', () => {
    expect(l.parseListeners(TCP, { littleEndian: true })).toEqual([
      { address: '127.0.0.1', port: 3000 },
      { address: '0.0.0.0', port: 8081 },
    ]);
    expect(l.parseListeners(TCP6, { littleEndian: true })).toEqual([
      { address: '::', port: 5000 },
      { address: '::1', port: 8080 },
      { address: '::ffff:127.0.0.1', port: 8082 },
      { address: 'fe80::2aa:ff:bb00:fe', port: 80 },
    ]);
  });

  it('reads big-endian tables word by word', () => {
    expect(l.parseListeners('0: 7F000001:1F90 00000000:0000 0A 0', { littleEndian: false })).toEqual([{ address: '127.0.0.1', port: 8080 }]);
  });

  it('ignores headers, blank lines and malformed rows', () => {
    expect(l.parseListeners('garbage\n\n 0: XYZ:1F90 00000000:0000 0A\n 1: 0100007F:1F9 00000000:0000 0A', { littleEndian: true })).toEqual([]);
  });

  it('sees a port this process listens on', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const { port } = server.address() as net.AddressInfo;
      expect(await l.readListeners()).toContainEqual({ address: '127.0.0.1', port });
    } finally {
      server.close();
    }
  });
});

describe('what the candidate is told', () => {
  it('names the port the service listens on instead of PORT', () => {
    expect(l.listenerProblem([{ address: '::', port: 3000 }], 8080)).toBe('the service listens on port 3000, not on 8080: read the port from the PORT environment variable (PORT=8080)');
    expect(l.listenerProblem([{ address: '0.0.0.0', port: 5000 }, { address: '::', port: 5000 }, { address: '127.0.0.1', port: 3000 }, { address: '0.0.0.0', port: 9000 }], 8080)).toBe(
      'the service listens on ports 3000, 5000 and 9000, not on 8080: read the port from the PORT environment variable (PORT=8080)',
    );
  });

  it("leaves out ports that are not the service's (the driver, the challenge's services)", () => {
    expect(l.listenerProblem([{ address: '127.0.0.1', port: 5432 }, { address: '0.0.0.0', port: 9100 }], 8080, [5432, 9100])).toBeUndefined();
    expect(l.listenerProblem([{ address: '127.0.0.1', port: 5432 }, { address: '0.0.0.0', port: 3000 }], 8080, [5432])).toMatch(/listens on port 3000, not on 8080/);
  });

  it('says nothing when the service listens on PORT at an address the grader reaches', () => {
    for (const address of ['0.0.0.0', '127.0.0.1', '::', '::ffff:127.0.0.1']) {
      expect(l.listenerProblem([{ address, port: 8080 }, { address: '0.0.0.0', port: 9229 }], 8080)).toBeUndefined();
    }
    expect(l.listenerProblem([], 8080)).toBeUndefined();
  });

  it('names an address the grader cannot reach', () => {
    expect(l.listenerProblem([{ address: '::1', port: 8080 }, { address: '127.0.0.2', port: 8080 }], 8080)).toBe(
      'the service listens on port 8080 only at ::1 and 127.0.0.2, which the grader cannot reach at 127.0.0.1: listen on every address (leave the host out of listen(), or use 0.0.0.0)',
    );
  });
});
