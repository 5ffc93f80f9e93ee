#!/usr/bin/env python3
"""flipdrill's fault-injecting file system: a passthrough (FUSE) over a backing folder that can,
on command, stall operations, fail them with EIO, slow them down, and lose every write not yet
fsynced (a power loss), in the spirit of Jepsen's LazyFS.

    fault-fs.py BACKING MOUNTPOINT CONTROL_SOCKET

It runs on the host, outside the node's container, so it outlives the node the way a disk does:
a killed node's writes are on it; a power loss is the node killed while the file system is cut
off, then every unsynced write taken back.

Unsynced writes are tracked per file (per inode, so renames keep them): before a write or a
truncate changes a 4 KiB block for the first time since the file's last fsync, the block's old
bytes and the file's old size are kept. fsync or fdatasync on the file forgets them; a revert puts
them back. Writes through a file opened O_SYNC or O_DSYNC are durable when they return. Metadata
(a file created, renamed or removed) is kept, as a journaling file system that committed it would.

Control: one JSON object per line on the Unix socket, one JSON line back.
    {"op": "status"}
    {"op": "set", "stall": "all"|"write"|"fsync"|null, "error": "write"|"fsync"|"all"|null,
     "latency_ms": 0..10000, "latency_on": "all"|"write"|"fsync"}
    {"op": "clear"}                      every fault off, a cut too; waiting operations go on
    {"op": "cut"}                        power off: every operation fails (EIO), also those a
                                         stall holds, and none is in flight when it returns
    {"op": "revert"}                     take back the unsynced writes; power on
Counts in the status: operations stalled now, errors returned, files and bytes unsynced.
"""
import errno
import json
import os
import resource
import socket
import stat
import sys
import threading
import time

from fusepy import FUSE, FuseOSError, Operations, fuse_get_context

BLOCK = 4096
WRITES = 'write'
FSYNCS = 'fsync'
READS = 'read'
# Which class each operation is in: a write changes the file system, an fsync makes it durable.
CLASS = {
    'write': WRITES, 'truncate': WRITES, 'create': WRITES, 'mkdir': WRITES, 'rmdir': WRITES,
    'unlink': WRITES, 'rename': WRITES, 'chmod': WRITES, 'chown': WRITES, 'utimens': WRITES,
    'symlink': WRITES, 'link': WRITES, 'mknod': WRITES,
    'fsync': FSYNCS, 'fsyncdir': FSYNCS,
}
SYNC_FLAGS = getattr(os, 'O_SYNC', 0) | getattr(os, 'O_DSYNC', 0)


class Unsynced:
    """One file's writes since its last fsync: the old size and the old bytes of each block touched."""

    def __init__(self, fd, size):
        self.fd = fd
        self.size = size
        self.blocks = {}

    def keep(self, start, end):
        for block in range(start // BLOCK, (max(end, start + 1) - 1) // BLOCK + 1):
            if block not in self.blocks:
                self.blocks[block] = os.pread(self.fd, BLOCK, block * BLOCK)

    def revert(self):
        for block, data in self.blocks.items():
            if data:
                os.pwrite(self.fd, data, block * BLOCK)
        os.ftruncate(self.fd, self.size)
        os.fsync(self.fd)
        return sum(len(d) for d in self.blocks.values())


class Faults:
    def __init__(self):
        self.cond = threading.Condition()
        self.stall = None       # None, 'all', 'write', 'fsync'
        self.error = None       # None, 'all', 'write', 'fsync'
        self.latency_ms = 0
        self.latency_on = 'all'
        self.cut = False        # the power is off: every operation fails, nothing changes the disk
        self.generation = 0     # a revert ends a generation: what waited across it fails
        self.waiting = 0
        self.errors = 0
        self.stalled_total = 0

    @staticmethod
    def hits(mode, cls):
        return mode == 'all' or mode == cls

    def gate(self, name):
        cls = CLASS.get(name, READS)
        with self.cond:
            born = self.generation
            if not self.cut and self.hits(self.stall, cls):
                self.waiting += 1
                self.stalled_total += 1
                try:
                    while not self.cut and self.hits(self.stall, cls) and self.generation == born:
                        self.cond.wait()
                finally:
                    self.waiting -= 1
            # Without power, nothing is done: answered at once, since a process the kernel is
            # waiting on for an answer from this file system cannot die until it has one.
            if self.cut or self.generation != born:
                self.errors += 1
                raise FuseOSError(errno.EIO)
            if self.hits(self.error, cls):
                self.errors += 1
                raise FuseOSError(errno.EIO)
            delay = self.latency_ms / 1000 if self.latency_ms and self.hits(self.latency_on, cls) else 0
        if delay:
            time.sleep(delay)


class FaultFs(Operations):
    use_ns = True

    def __init__(self, backing, faults):
        self.root = os.path.realpath(backing)
        self.faults = faults
        self.write_lock = threading.Lock()    # writes and their bookkeeping, against a cut or a revert
        self.unsynced = {}              # inode -> Unsynced
        self.sync_fds = set()

    def __call__(self, name, *args):
        # Closing a file is never held up nor failed: a killed process's files close too.
        if name not in ('release', 'releasedir', 'init', 'destroy'):
            self.faults.gate(name)
        return super().__call__(name, *args)

    def live(self):
        """Under self.write_lock: a write that passed the gate before a cut does not land after it."""
        if self.faults.cut:
            raise FuseOSError(errno.EIO)

    def full(self, path):
        return os.path.join(self.root, path.lstrip('/'))

    @staticmethod
    def owner(path_or_fd, follow=True):
        uid, gid, _pid = fuse_get_context()
        if isinstance(path_or_fd, int):
            os.fchown(path_or_fd, uid, gid)
        else:
            os.chown(path_or_fd, uid, gid, follow_symlinks=follow)

    # -- what is kept until fsync -------------------------------------------------------------
    def keep(self, fd, start, end):
        st = os.fstat(fd)
        entry = self.unsynced.get(st.st_ino)
        if entry is None:
            # Its own descriptor, readable and writable whatever the caller opened it for (kept
            # until the fsync or the revert: a rename or an unlink does not lose the file).
            entry = Unsynced(os.open(f'/proc/self/fd/{fd}', os.O_RDWR), st.st_size)
            self.unsynced[st.st_ino] = entry
        entry.keep(start, end)

    def forget(self, fd):
        entry = self.unsynced.pop(os.fstat(fd).st_ino, None)
        if entry:
            os.close(entry.fd)

    def revert(self):
        files = bytes_ = 0
        with self.write_lock:
            for entry in self.unsynced.values():
                bytes_ += entry.revert()
                files += 1
                os.close(entry.fd)
            self.unsynced.clear()
        return files, bytes_

    def pending(self):
        with self.write_lock:
            return len(self.unsynced), sum(len(e.blocks) * BLOCK for e in self.unsynced.values())

    # -- the passthrough ----------------------------------------------------------------------
    def access(self, path, amode):
        if not os.access(self.full(path), amode):
            raise FuseOSError(errno.EACCES)

    def chmod(self, path, mode):
        os.chmod(self.full(path), mode)

    def chown(self, path, uid, gid):
        os.chown(self.full(path), uid, gid, follow_symlinks=False)

    def getattr(self, path, fh=None):
        st = os.fstat(fh.fh) if fh else os.lstat(self.full(path))
        attrs = {k: getattr(st, k) for k in ('st_gid', 'st_mode', 'st_nlink', 'st_size', 'st_uid', 'st_ino', 'st_blocks')}
        attrs['st_atime'], attrs['st_mtime'], attrs['st_ctime'] = st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns
        return attrs

    def readdir(self, path, fh):
        return ['.', '..', *os.listdir(self.full(path))]

    def readlink(self, path):
        return os.readlink(self.full(path))

    def mknod(self, path, mode, dev):
        os.mknod(self.full(path), mode, dev)
        self.owner(self.full(path))

    def mkdir(self, path, mode):
        os.mkdir(self.full(path), mode)
        self.owner(self.full(path))

    def rmdir(self, path):
        os.rmdir(self.full(path))

    def unlink(self, path):
        os.unlink(self.full(path))

    def symlink(self, target, source):
        os.symlink(source, self.full(target))
        self.owner(self.full(target), follow=False)

    def link(self, target, source):
        os.link(self.full(source), self.full(target))

    def rename(self, old, new):
        os.rename(self.full(old), self.full(new))

    def utimens(self, path, times=None):
        os.utime(self.full(path), ns=times, follow_symlinks=False) if times else os.utime(self.full(path), follow_symlinks=False)

    def statfs(self, path):
        sv = os.statvfs(self.full(path))
        return {k: getattr(sv, k) for k in ('f_bavail', 'f_bfree', 'f_blocks', 'f_bsize', 'f_favail', 'f_ffree', 'f_files', 'f_flag', 'f_frsize', 'f_namemax')}

    def open(self, path, fi):
        # O_APPEND off: the kernel gives each write its offset (the end), and pwrite must use it.
        fi.fh = os.open(self.full(path), fi.flags & ~(os.O_CREAT | os.O_TRUNC | os.O_APPEND))
        if fi.flags & os.O_TRUNC:
            self.truncate(path, 0, fi)
        if fi.flags & SYNC_FLAGS:
            self.sync_fds.add(fi.fh)
        return 0

    def create(self, path, mode, fi):
        fd = os.open(self.full(path), (fi.flags | os.O_CREAT) & ~os.O_APPEND, mode)
        self.owner(fd)
        fi.fh = fd
        if fi.flags & SYNC_FLAGS:
            self.sync_fds.add(fd)
        return 0

    def read(self, path, size, offset, fi):
        return os.pread(fi.fh, size, offset)

    def write(self, path, data, offset, fi):
        with self.write_lock:
            self.live()
            if fi.fh not in self.sync_fds:
                self.keep(fi.fh, offset, offset + len(data))
            return os.pwrite(fi.fh, data, offset)

    def truncate(self, path, length, fh=None):
        with self.write_lock:
            self.live()
            fd = fh.fh if fh else os.open(self.full(path), os.O_RDWR)
            try:
                size = os.fstat(fd).st_size
                self.keep(fd, min(size, length), max(size, length))
                os.ftruncate(fd, length)
            finally:
                if not fh:
                    os.close(fd)

    def flush(self, path, fi):
        return 0

    def fsync(self, path, datasync, fi):
        with self.write_lock:
            self.live()
            (os.fdatasync if datasync else os.fsync)(fi.fh)
            self.forget(fi.fh)

    def fsyncdir(self, path, datasync, fi):
        return 0

    def release(self, path, fi):
        self.sync_fds.discard(fi.fh)
        os.close(fi.fh)


def serve_control(path, fs, faults):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o077)
    try:
        server.bind(path)
    finally:
        os.umask(old)
    server.listen(8)

    def status():
        files, bytes_ = fs.pending()
        with faults.cond:
            return {'ok': True, 'stall': faults.stall, 'error': faults.error, 'latency_ms': faults.latency_ms, 'latency_on': faults.latency_on,
                    'cut': faults.cut, 'waiting': faults.waiting, 'stalled_total': faults.stalled_total, 'errors': faults.errors,
                    'unsynced_files': files, 'unsynced_bytes': bytes_}

    def handle(request):
        op = request.get('op')
        if op == 'status':
            return status()
        if op == 'set':
            for key in ('stall', 'error', 'latency_on'):
                if key in request and request[key] not in (None, 'all', WRITES, FSYNCS):
                    return {'ok': False, 'error': f'{key} must be all, write, fsync or null'}
            ms = request.get('latency_ms', faults.latency_ms)
            if not isinstance(ms, int) or not 0 <= ms <= 10000:
                return {'ok': False, 'error': 'latency_ms must be a whole number from 0 to 10000'}
            with faults.cond:
                faults.stall = request.get('stall', faults.stall)
                faults.error = request.get('error', faults.error)
                faults.latency_on = request.get('latency_on') or faults.latency_on
                faults.latency_ms = ms
                faults.cond.notify_all()
            return status()
        if op == 'clear':
            with faults.cond:
                faults.cut = False
                faults.stall = faults.error = None
                faults.latency_ms = 0
                faults.cond.notify_all()
            return status()
        if op == 'cut':
            with faults.cond:
                faults.cut = True
                faults.cond.notify_all()
            with fs.write_lock:   # no write in flight: the ones that started have ended
                pass
            return status()
        if op == 'revert':
            if not faults.cut:
                return {'ok': False, 'error': 'revert comes after a cut'}
            files, bytes_ = fs.revert()
            with faults.cond:
                faults.generation += 1
                faults.cut = False
                faults.cond.notify_all()
            return {**status(), 'reverted_files': files, 'reverted_bytes': bytes_}
        return {'ok': False, 'error': f'unknown op {op!r}'}

    def client(conn):
        with conn, conn.makefile('rwb') as f:
            for line in f:
                try:
                    answer = handle(json.loads(line))
                except Exception as e:  # a bad line is answered, never the end of the file system
                    answer = {'ok': False, 'error': f'{type(e).__name__}: {e}'}
                f.write((json.dumps(answer) + '\n').encode())
                f.flush()

    def loop():
        while True:
            conn, _ = server.accept()
            threading.Thread(target=client, args=(conn,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()


def main():
    if len(sys.argv) != 4:
        sys.stderr.write('usage: fault-fs.py BACKING MOUNTPOINT CONTROL_SOCKET\n')
        return 2
    backing, mountpoint, control = sys.argv[1:]
    os.umask(0)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if not stat.S_ISDIR(os.lstat(backing).st_mode):
        sys.stderr.write(f'{backing} is not a folder\n')
        return 2
    faults = Faults()
    fs = FaultFs(backing, faults)
    serve_control(control, fs, faults)
    # allow_other: the node's processes run as other users; default_permissions: the kernel checks
    # their rights from the modes, as on any disk (this process is root). big_writes: 128 KiB writes.
    FUSE(fs, mountpoint, foreground=True, raw_fi=True, allow_other=True, default_permissions=True,
         big_writes=True, max_write=131072, fsname='flipdrill-fault-fs', subtype='flipdrill')
    return 0


if __name__ == '__main__':
    sys.exit(main())
