import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkClientModule, prepareClientModule } from './client-module.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-client-module-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a client module, made ready for the client host', () => {
  it('JavaScript: its project (the folder with package.json above it) is mounted, the module found under /client', async () => {
    mkdirSync(path.join(dir, 'proj', 'src'), { recursive: true });
    writeFileSync(path.join(dir, 'proj', 'package.json'), '{}');
    writeFileSync(path.join(dir, 'proj', 'src', 'client.mjs'), 'export default () => ({});');
    const m = await prepareClientModule(path.join(dir, 'proj', 'src', 'client.mjs'));
    expect(m.mount).toBe(path.join(dir, 'proj'));
    expect(m.inContainer).toBe('/client/src/client.mjs');
    expect(m.user).toMatch(/^\d+:\d+$/);
  });

  it('TypeScript: bundled with what it imports into a module of its own, which loads and keeps its default export', async () => {
    writeFileSync(path.join(dir, 'helper.ts'), 'export const table: string = "client_writes";');
    writeFileSync(path.join(dir, 'client.ts'), 'import { table } from "./helper.ts";\nexport default async function createClient(): Promise<{ table: string }> { return { table }; }');
    const m = await prepareClientModule(path.join(dir, 'client.ts'));
    expect(m.inContainer).toBe('/client/client.mjs');
    const bundled = path.join(m.mount, 'client.mjs');
    expect(readFileSync(bundled, 'utf8')).not.toMatch(/from ['"]\.\/helper/);
    const mod = (await import(pathToFileURL(bundled).href)) as { default: () => Promise<{ table: string }> };
    expect(await mod.default()).toEqual({ table: 'client_writes' });
    rmSync(m.mount, { recursive: true, force: true });
  });

  it.each([
    ['client.py', 'a client module is a .mjs, .js, .cjs, .ts or .mts file'],
    ['missing.mjs', 'no such file'],
  ])('%s: one line', (name, message) => {
    expect(() => checkClientModule(path.join(dir, name))).toThrow(message);
  });
});
