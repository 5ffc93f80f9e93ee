/**
 * The last `maxBytes` of the first file in a tar stream (what the archive API sends for one path):
 * a 512-byte header with the size in octal at offset 124, then the content. Keeps only the tail
 * in memory.
 */
export async function firstTarEntryTail(stream: NodeJS.ReadableStream, maxBytes: number): Promise<string> {
  let header: Buffer | undefined;
  let pending = Buffer.alloc(0);
  let size = 0;
  let seen = 0;
  let tail = Buffer.alloc(0);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let data = Buffer.from(chunk);
    if (!header) {
      pending = Buffer.concat([pending, data]);
      if (pending.length < 512) continue;
      header = pending.subarray(0, 512);
      size = parseInt(header.subarray(124, 136).toString('ascii').replace(/\0.*$/, '').trim() || '0', 8);
      data = pending.subarray(512);
    }
    if (seen >= size) continue;
    const take = data.subarray(0, size - seen);
    seen += take.length;
    tail = Buffer.concat([tail, take]);
    if (tail.length > maxBytes) tail = tail.subarray(tail.length - maxBytes);
  }
  return tail.toString('utf8');
}
