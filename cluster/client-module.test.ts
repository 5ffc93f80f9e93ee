import { createHash } from 'node:crypto';
import { chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { checkClientModule, checkProjectFolder, prepareClientModule } from './client-module.ts';

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
    m.dispose();
    expect(existsSync(m.mount)).toBe(false);
  });

  it('JavaScript: a project folder that is / or the home folder is refused in one line, never mounted', async () => {
    const home = path.join(dir, 'home');
    mkdirSync(path.join(home, 'drills'), { recursive: true });
    writeFileSync(path.join(home, 'package.json'), '{}');
    writeFileSync(path.join(home, 'drills', 'client.mjs'), 'export default () => ({});');
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      await expect(prepareClientModule(path.join(home, 'drills', 'client.mjs'))).rejects.toThrow(`its project folder would be ${home}, your home folder`);
    } finally {
      process.env.HOME = saved;
    }
    expect(() => checkProjectFolder('/', 'x.mjs')).toThrow('--client x.mjs: its project folder would be /, the root of the file system');
  });

  it.each([
    ['client.py', 'a client module is a .mjs, .js, .cjs, .ts or .mts file'],
    ['missing.mjs', 'no such file'],
  ])('%s: one line', (name, message) => {
    expect(() => checkClientModule(path.join(dir, name))).toThrow(message);
  });
});

/** The bundle's folder, as the code before mkdtemp named it: predictable, so anyone could make it first. */
function predictableFolder(file: string): string {
  const hash = createHash('sha256').update(file).update(readFileSync(file)).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), `flipdrill-client-${hash}`);
}

describe('a TypeScript module, bundled where no one else can have planted anything', () => {
  const planted: string[] = [];
  afterEach(() => planted.splice(0).forEach((p) => rmSync(p, { recursive: true, force: true })));

  it('a client.mjs link planted in a predictable folder is not written through: the bundle goes into a fresh folder of its own', async () => {
    const file = path.join(dir, 'linked.ts');
    writeFileSync(file, 'export default () => ({ write: async () => {}, readAll: async () => [] });');
    const victim = path.join(dir, 'victim.txt');
    writeFileSync(victim, 'untouched\n');
    const folder = predictableFolder(file);
    planted.push(folder);
    mkdirSync(folder, { recursive: true, mode: 0o777 });
    symlinkSync(victim, path.join(folder, 'client.mjs'));
    const m = await prepareClientModule(file);
    expect(readFileSync(victim, 'utf8')).toBe('untouched\n');
    expect(m.mount).not.toBe(folder);
    expect(path.dirname(m.mount)).toBe(os.tmpdir());
    const folderStat = lstatSync(m.mount);
    expect(folderStat.isDirectory()).toBe(true);
    expect(folderStat.uid).toBe(process.getuid!());
    // Others may pass through (the client host runs as the module's owner), never list or write it.
    expect(folderStat.mode & 0o777).toBe(0o711);
    const bundle = lstatSync(path.join(m.mount, 'client.mjs'));
    expect(bundle.isFile()).toBe(true);
    expect(bundle.mode & 0o077).toBe(0);
    m.dispose();
    expect(existsSync(m.mount)).toBe(false);
  });

  it.runIf(process.getuid?.() === 0)('the client host runs as the module file\'s owner, read from the source, not from a file planted in the bundle\'s folder', async () => {
    const own = path.join(dir, 'owned');
    mkdirSync(own, { recursive: true });
    const file = path.join(own, 'client.ts');
    writeFileSync(file, 'export default () => ({ write: async () => {}, readAll: async () => [] });');
    chownSync(file, 4242, 4343);
    const folder = predictableFolder(file);
    planted.push(folder);
    mkdirSync(folder, { recursive: true, mode: 0o777 });
    writeFileSync(path.join(folder, 'client.mjs'), '');
    chownSync(path.join(folder, 'client.mjs'), 6666, 6666);
    const m = await prepareClientModule(file);
    expect(m.user).toBe('4242:4343');
    // The bundle is the owner's to read (and no one else's): the client host runs as that user.
    const bundle = statSync(path.join(m.mount, 'client.mjs'));
    expect(`${bundle.uid}:${bundle.gid}`).toBe('4242:4343');
    m.dispose();
  });

  it.runIf(process.getuid?.() === 0)('a module named through a link: its owner is the real file\'s, whose code runs', async () => {
    const real = path.join(dir, 'real-client.mjs');
    writeFileSync(real, 'export default () => ({});');
    chownSync(real, 4242, 4343);
    const link = path.join(dir, 'link-client.mjs');
    symlinkSync(real, link);
    expect((await prepareClientModule(link)).user).toBe('4242:4343');
  });
});
