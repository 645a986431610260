/**
 * The two tar operations the Docker archive API needs here (pure): one regular file into an
 * archive, and one regular file out of one. A whole tar library would be more than this job.
 */
const BLOCK = 512;

function octal(value: number, width: number): string {
  // width - 1 digits and a NUL, as ustar writes numeric fields.
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

export interface TarFile {
  /** Path inside the archive, relative (no leading slash), at most 100 bytes. */
  name: string;
  content: Buffer;
  mode: number;
  uid: number;
  gid: number;
  mtimeSec?: number;
}

/** A ustar archive holding exactly one regular file. */
export function tarOneFile(f: TarFile): Buffer {
  const name = Buffer.from(f.name, 'utf8');
  if (name.length === 0 || name.length > 100 || f.name.startsWith('/'))
    throw new Error(`tar entry name ${JSON.stringify(f.name)} must be relative and 1-100 bytes`);
  const header = Buffer.alloc(BLOCK, 0);
  name.copy(header, 0);
  header.write(octal(f.mode & 0o7777, 8), 100, 'ascii');
  header.write(octal(f.uid, 8), 108, 'ascii');
  header.write(octal(f.gid, 8), 116, 'ascii');
  header.write(octal(f.content.length, 12), 124, 'ascii');
  header.write(octal(f.mtimeSec ?? 0, 12), 136, 'ascii');
  header.write('        ', 148, 'ascii'); // checksum field counts as spaces while summing
  header.write('0', 156, 'ascii');
  header.write('ustar\u000000', 257, 'ascii');
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  const pad = (BLOCK - (f.content.length % BLOCK)) % BLOCK;
  return Buffer.concat([header, f.content, Buffer.alloc(pad, 0), Buffer.alloc(2 * BLOCK, 0)]);
}

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? raw.length : end).toString('utf8');
}

export interface TarEntry {
  name: string;
  content: Buffer;
  mode: number;
  uid: number;
  gid: number;
}

const num = (block: Buffer, start: number, length: number): number => Number.parseInt(field(block, start, length).trim() || '0', 8);

/** The first regular file in a tar archive (the Docker archive API returns one per path). */
export function firstFileOfTar(tar: Buffer): TarEntry | undefined {
  let offset = 0;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) return undefined;
    const size = num(header, 124, 12);
    const type = field(header, 156, 1);
    const body = offset + BLOCK;
    if (type === '0' || type === '') {
      return {
        name: field(header, 0, 100),
        content: tar.subarray(body, body + size),
        mode: num(header, 100, 8),
        uid: num(header, 108, 8),
        gid: num(header, 116, 8),
      };
    }
    offset = body + Math.ceil(size / BLOCK) * BLOCK;
  }
  return undefined;
}
