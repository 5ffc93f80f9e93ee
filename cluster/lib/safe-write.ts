/**
 * The one way flipdrill writes a file into a folder a user chose (a runs folder, a run folder):
 * flipdrill often runs as root, and such a folder may come from a CI artifact or a shared disk,
 * where someone else could have planted a link at the name flipdrill is about to write.
 *
 *   - a symbolic link at the target is refused, never followed;
 *   - anything at the target but a regular file (a folder, a FIFO, a device) is refused;
 *   - the bytes go to a new temp file in the same folder (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0644),
 *     which is then renamed over the target: a reader sees the old file or the new, never half of
 *     one, and a link planted at the target after the check is replaced, not written through.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fsyncSync, lstatSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

export class UnsafeWriteError extends Error {
  override name = 'UnsafeWriteError';
}

const code = (error: unknown) => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

/** Write `data` to `file` atomically, refusing a link or anything but a regular file at `file`. */
export function writeFileSafely(file: string, data: string | Uint8Array): void {
  let existing: ReturnType<typeof lstatSync> | undefined;
  try {
    existing = lstatSync(file);
  } catch (error) {
    if (code(error) !== 'ENOENT') throw new UnsafeWriteError(`cannot write ${file}: ${code(error)}`);
  }
  if (existing?.isSymbolicLink()) throw new UnsafeWriteError(`${file} is a symbolic link: not written through`);
  if (existing && !existing.isFile()) throw new UnsafeWriteError(`${file} is not a regular file: not written`);

  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(8).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  } catch (error) {
    throw new UnsafeWriteError(`cannot write ${file}: ${code(error)}`);
  }
  try {
    try {
      // The mode whatever the umask: the reports are for reading by whoever may read the folder.
      fchmodSync(fd, 0o644);
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // Already renamed or never there: nothing to clean.
    }
    throw new UnsafeWriteError(`cannot write ${file}: ${code(error)}`);
  }
}
