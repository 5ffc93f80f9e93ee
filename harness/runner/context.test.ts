/** A failed drill's node logs, saved into its run folder: never through a link planted there. */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../cluster/lib/logger.ts';
import type { DrillTarget } from '../../cluster/index.ts';
import { saveNodeLogs } from './context.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-node-logs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('saveNodeLogs', () => {
  it("writes each node's log, and refuses a link planted at one's name without writing through it", async () => {
    const cluster = { spec: { nodes: [{ name: 'node1' }, { name: 'node2' }] }, nodeLogs: async (node: string) => `log of ${node}\n` } as unknown as DrillTarget;
    const target = path.join(dir, 'target');
    writeFileSync(target, 'owner\n');
    mkdirSync(path.join(dir, 'node-logs'));
    symlinkSync(target, path.join(dir, 'node-logs', 'node1.log'));
    await saveNodeLogs(cluster, dir, silentLogger);
    expect(readFileSync(target, 'utf8')).toBe('owner\n');
    expect(readFileSync(path.join(dir, 'node-logs', 'node2.log'), 'utf8')).toBe('log of node2\n');
  });

  it('saves nothing through a link planted at node-logs', async () => {
    const cluster = { spec: { nodes: [{ name: 'node1' }] }, nodeLogs: async () => 'log\n' } as unknown as DrillTarget;
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-node-logs-elsewhere-'));
    try {
      symlinkSync(elsewhere, path.join(dir, 'node-logs'));
      await saveNodeLogs(cluster, dir, silentLogger);
      expect(readdirSync(elsewhere)).toEqual([]);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
