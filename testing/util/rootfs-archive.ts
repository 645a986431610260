/**
 * Tiny root filesystem archives for unit tests of code that reads the helper's archive: an ELF
 * header of a chosen machine, and a tar of a few entries (no tar tool, no real binaries).
 */

/** The first 20 bytes of an ELF header: magic, class, data (1 little, 2 big endian), e_machine at 18. */
export function elfHeader(machine: number, littleEndian = true): Buffer {
  const b = Buffer.alloc(64, 0);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2;
  b[5] = littleEndian ? 1 : 2;
  if (littleEndian) b.writeUInt16LE(machine, 18);
  else b.writeUInt16BE(machine, 18);
  return b;
}

/** A tar archive of entries (type '0' regular, '5' directory), as GNU tar writes them. */
export function tarOf(entries: { name: string; type?: '0' | '5'; content?: Buffer }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const content = e.content ?? Buffer.alloc(0);
    const h = Buffer.alloc(512, 0);
    h.write(e.name, 0, 'utf8');
    h.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
    h.write(e.type ?? '0', 156, 'ascii');
    h.write('ustar  \0', 257, 'ascii');
    blocks.push(h, content, Buffer.alloc((512 - (content.length % 512)) % 512, 0));
  }
  return Buffer.concat([...blocks, Buffer.alloc(1024, 0)]);
}
