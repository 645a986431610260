/**
 * A minimal DNS client for A records: the query bytes, the answer parser, and an asker over UDP
 * from this machine. Specs also send the same bytes from inside a container (bash /dev/udp) to
 * ask Consul's DNS on a port other than 53, which resolv.conf cannot name.
 */
import { createSocket } from 'node:dgram';

export function aQuery(name: string, id = 0x5150): Buffer {
  const labels = name
    .split('.')
    .filter(Boolean)
    .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')]));
  const header = Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

function skipName(b: Buffer, at: number): number {
  for (;;) {
    const len = b[at]!;
    if (len === 0) return at + 1;
    if ((len & 0xc0) === 0xc0) return at + 2;
    at += len + 1;
  }
}

export interface DnsAnswer {
  rcode: number;
  /** IPv4 addresses of the A records in the answer section. */
  addresses: string[];
}

export function parseAnswer(b: Buffer): DnsAnswer {
  const rcode = b[3]! & 0x0f;
  const qd = b.readUInt16BE(4);
  const an = b.readUInt16BE(6);
  let at = 12;
  for (let i = 0; i < qd; i++) at = skipName(b, at) + 4;
  const addresses: string[] = [];
  for (let i = 0; i < an; i++) {
    at = skipName(b, at);
    const type = b.readUInt16BE(at);
    const rdlen = b.readUInt16BE(at + 8);
    at += 10;
    if (type === 1 && rdlen === 4) addresses.push([...b.subarray(at, at + 4)].join('.'));
    at += rdlen;
  }
  return { rcode, addresses: addresses.sort() };
}

/** Asks `server:port` for the A records of `name` over UDP. */
export async function resolveA(server: string, port: number, name: string, timeoutMs = 2000): Promise<DnsAnswer> {
  const sock = createSocket('udp4');
  try {
    return await new Promise<DnsAnswer>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no DNS answer from ${server}:${port} in ${timeoutMs} ms`)), timeoutMs);
      sock.once('message', (msg) => {
        clearTimeout(t);
        resolve(parseAnswer(msg));
      });
      sock.once('error', reject);
      sock.send(aQuery(name), port, server);
    });
  } finally {
    sock.close();
  }
}

/** A bash command that sends the query for `name` to server:port and prints the answer as hex. */
export function bashQueryCommand(server: string, port: number, name: string): string {
  const q = aQuery(name);
  const bytes = [...q].map((x) => `\\x${x.toString(16).padStart(2, '0')}`).join('');
  // bash flushes printf's output at every newline byte (a label of length 10 is one): dd gathers
  // the whole query and sends it as one datagram.
  return `exec 3<>/dev/udp/${server}/${port} && printf '${bytes}' | dd iflag=fullblock bs=${q.length} count=1 >&3 2>/dev/null && timeout 3 dd bs=1500 count=1 <&3 2>/dev/null | od -An -v -tx1`;
}

export function parseHexDump(out: string): Buffer {
  return Buffer.from(out.replace(/\s+/g, ''), 'hex');
}
