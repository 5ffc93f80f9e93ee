/** The archive API sends a file as a tar stream: its tail, read back from a real tar. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { firstTarEntryTail } from './tar-tail.ts';

function tarOf(content: string): Buffer {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-tar-'));
  try {
    writeFileSync(path.join(dir, 'repmgrd.log'), content);
    return execFileSync('tar', ['-C', dir, '-c', 'repmgrd.log']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same bytes in small, uneven chunks, as a socket delivers them. */
function chunked(buffer: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += size) chunks.push(buffer.subarray(i, i + size));
  return Readable.from(chunks);
}

describe('the tail of a file from a tar stream', () => {
  const lines = Array.from({ length: 5000 }, (_, i) => `line ${i + 1} of the log`).join('\n');

  it('is the whole file when it is small, exactly (not the padding after it)', async () => {
    expect(await firstTarEntryTail(chunked(tarOf('hello\nworld\n'), 100), 1024)).toBe('hello\nworld\n');
  });

  it('is the last maxBytes of a large file, whatever the chunking', async () => {
    for (const size of [7, 512, 65536]) {
      const tail = await firstTarEntryTail(chunked(tarOf(lines), size), 1000);
      expect(tail.length).toBe(1000);
      expect(lines.endsWith(tail)).toBe(true);
    }
  });

  it('is empty for an empty file', async () => {
    expect(await firstTarEntryTail(chunked(tarOf(''), 300), 1000)).toBe('');
  });
});
