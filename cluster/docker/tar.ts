/**
 * A tar archive of a few small files, in memory: what the engine's archive API takes to put files
 * into a container before it starts (secrets, which the container's environment would show to
 * anyone who can run `docker inspect`). ustar headers, owned by root unless a file says otherwise, each parent directory first.
 */

export interface TarFile {
  /** Absolute path inside the container, e.g. /run/flipdrill-secrets/POSTGRES_PASSWORD. */
  path: string;
  content: string;
  /** File mode, e.g. 0o400. */
  mode: number;
  /** Owner (uid and gid) of the file and of its own directory; root when absent. A container that runs as another user (the app) reads its secrets as that user. */
  owner?: { uid: number; gid: number };
  /** Mode of the file's own directory, when not tarOf's `dirMode`. */
  dirMode?: number;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number, mode: number, type: '0' | '5', owner = { uid: 0, gid: 0 }): Buffer {
  if (Buffer.byteLength(name) > 99) throw new Error(`tar: path too long: ${name}`);
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode, 8), 100, 'ascii');
  h.write(octal(owner.uid, 8), 108, 'ascii');
  h.write(octal(owner.gid, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii'); // mtime
  h.write('        ', 148, 'ascii'); // checksum placeholder: eight spaces
  h.write(type, 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

/** The archive, to be extracted at `/`. Parent directories get `dirMode` (default 0o700). */
export function tarOf(files: readonly TarFile[], dirMode = 0o700): Buffer {
  const parts: Buffer[] = [];
  const dirs = new Set<string>();
  for (const file of files) {
    if (!file.path.startsWith('/') || file.path.split('/').some((p) => p === '..')) throw new Error(`tar: not an absolute, plain path: ${file.path}`);
    const segments = file.path.slice(1).split('/');
    for (let i = 1; i < segments.length; i++) {
      const dir = segments.slice(0, i).join('/') + '/';
      // Only the file's own directory gets dirMode; directories above it (/run) are left as the image has them.
      if (i === segments.length - 1 && !dirs.has(dir)) {
        dirs.add(dir);
        parts.push(header(dir, 0, file.dirMode ?? dirMode, '5', file.owner));
      }
    }
    const body = Buffer.from(file.content, 'utf8');
    parts.push(header(segments.join('/'), body.length, file.mode, '0', file.owner), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
