/**
 * The CPU architecture of the default helper's root filesystem, read from the archive itself: the
 * machine that packed swarmop copied its own binaries into it, so the helper runs only on hosts of
 * that architecture, and a host of another one must be told so rather than be given an image whose
 * every command fails with "exec format error".
 *
 * Pure: the first ELF file in the (gzipped) tar archive, its e_machine field, named as Docker's
 * /version `Arch` names architectures (Go's GOARCH).
 */
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';

const BLOCK = 512;

/** ELF e_machine values -> GOARCH, for the architectures Docker Engine runs on. */
const MACHINES: Record<number, string | ((littleEndian: boolean) => string)> = {
  0x03: '386',
  0x08: (le) => (le ? 'mipsle' : 'mips'),
  0x14: 'ppc',
  0x15: (le) => (le ? 'ppc64le' : 'ppc64'),
  0x16: 's390x',
  0x28: 'arm',
  0x3e: 'amd64',
  0xb7: 'arm64',
  0xf3: 'riscv64',
  0x102: 'loong64',
};

/** GOARCH of an ELF file's header, or undefined when `file` is not ELF or the machine is unknown. */
export function elfArchitecture(file: Buffer): string | undefined {
  if (file.length < 20 || file.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const littleEndian = file[5] === 1;
  const machine = littleEndian ? file.readUInt16LE(18) : file.readUInt16BE(18);
  const name = MACHINES[machine];
  return typeof name === 'function' ? name(littleEndian) : name;
}

/** GOARCH of the first ELF regular file in a tar archive (ustar/GNU headers), if any. */
export function tarArchitecture(tar: Buffer): string | undefined {
  let offset = 0;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) return undefined;
    const sizeField = header.subarray(124, 136).toString('ascii').replace(/\0.*$/s, '').trim();
    const size = Number.parseInt(sizeField || '0', 8);
    const type = String.fromCharCode(header[156]!);
    const body = offset + BLOCK;
    if (type === '0' || type === '\0') {
      const arch = elfArchitecture(tar.subarray(body, body + Math.min(size, 64)));
      if (arch) return arch;
    }
    offset = body + Math.ceil(size / BLOCK) * BLOCK;
  }
  return undefined;
}

/** GOARCH of a gzipped root filesystem archive such as assets/nethelper-rootfs.tar.gz. */
export async function rootfsArchitecture(gz: Buffer): Promise<string | undefined> {
  return tarArchitecture(await promisify(gunzip)(gz));
}
