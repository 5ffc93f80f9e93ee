/**
 * The layering rule, enforced: cluster/ (the cluster, its images and its endpoint agent) imports
 * nothing from harness/ or app/; app/ (what runs in the app container, and the failover data
 * layer users take) imports nothing from harness/; no module imports itself back through
 * others, type imports included; and only tests (`*.test.ts`) and test support itself import
 * harness/test-support/, never the code that ships. Read from the sources, tests included.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../cluster/lib/package-root.ts';

type Graph = Record<string, string[]>;

const LAYERS = ['app', 'cluster', 'harness'] as const;
/** Which top-level folders each may import from (itself included). */
const ALLOWED: Record<(typeof LAYERS)[number], string[]> = {
  cluster: ['cluster'],
  app: ['app', 'cluster'],
  harness: ['harness', 'app', 'cluster'],
};

/** Relative specifiers of every import, export-from, side-effect import and dynamic import. */
export function specifiers(source: string): string[] {
  const found = new Set<string>();
  for (const m of source.matchAll(/\bfrom\s+['"](\.[^'"]+)['"]|\bimport\s+['"](\.[^'"]+)['"]|\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
    found.add((m[1] ?? m[2] ?? m[3])!);
  }
  return [...found];
}

function layerOf(file: string): string {
  return file.split('/')[0]!;
}

export function forbidden(graph: Graph): string[] {
  const out: string[] = [];
  for (const [file, targets] of Object.entries(graph)) {
    const allowed = ALLOWED[layerOf(file) as (typeof LAYERS)[number]];
    if (!allowed) continue;
    for (const t of targets) if (!allowed.includes(layerOf(t))) out.push(`${file} imports ${t}`);
  }
  return out;
}

const TEST_SUPPORT = 'harness/test-support/';

/** Imports of test support by code that is neither a test (`*.test.ts`) nor test support itself. */
export function testSupportImports(graph: Graph): string[] {
  const out: string[] = [];
  for (const [file, targets] of Object.entries(graph)) {
    if (file.endsWith('.test.ts') || file.startsWith(TEST_SUPPORT)) continue;
    for (const t of targets) if (t.startsWith(TEST_SUPPORT)) out.push(`${file} imports ${t}`);
  }
  return out;
}

/** Every cycle's members (strongly connected components of more than one module, or a self-import). */
export function cycles(graph: Graph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph[v] ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph[v] ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of Object.keys(graph)) if (!index.has(v)) visit(v);
  return found;
}

function repoGraph(root: string): Graph {
  const graph: Graph = {};
  const walk = (dir: string): void => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'dist') walk(rel);
      } else if (entry.name.endsWith('.ts')) {
        const source = readFileSync(path.join(root, rel), 'utf8');
        graph[rel] = specifiers(source).map((s) => path.posix.normalize(path.posix.join(path.posix.dirname(rel), s)));
      }
    }
  };
  for (const layer of LAYERS) walk(layer);
  return graph;
}

describe('layering', () => {
  it('finds each kind of import, on one line or several', () => {
    // Quoted through a variable, so this file's own source holds no import it does not make.
    const q = "'";
    const source = [
      `import { a } from ${q}./a.ts${q};`,
      `import type {\n  B,\n  C,\n} from ${q}../b.ts${q};`,
      `export { d } from ${q}./d.ts${q};`,
      `import ${q}./side-effect.ts${q};`,
      `const e = await import(${q}./e.ts${q});`,
      `import pg from ${q}pg${q};`,
    ].join('\n');
    expect(specifiers(source).sort()).toEqual(['../b.ts', './a.ts', './d.ts', './e.ts', './side-effect.ts']);
  });

  it('names a forbidden import and a cycle in a graph made for the purpose', () => {
    const graph: Graph = {
      'cluster/images.ts': ['app/build.ts'],
      'app/db.ts': ['harness/op.ts', 'cluster/errors.ts'],
      'harness/drill.ts': ['harness/report/write.ts', 'app/db.ts', 'cluster/errors.ts'],
      'harness/report/write.ts': ['harness/report/html.ts'],
      'harness/report/html.ts': ['harness/drill.ts'],
      'cluster/errors.ts': [],
    };
    expect(forbidden(graph)).toEqual(['cluster/images.ts imports app/build.ts', 'app/db.ts imports harness/op.ts']);
    expect(cycles(graph)).toEqual([['harness/drill.ts', 'harness/report/html.ts', 'harness/report/write.ts']]);
    expect(cycles({ 'harness/a.ts': ['harness/a.ts'] })).toEqual([['harness/a.ts']]);
  });

  it('names production code that imports test support, and lets tests and test support import it', () => {
    const graph: Graph = {
      'harness/report/screenshot.ts': ['harness/test-support/browser.ts', 'harness/report/browser.ts'],
      'harness/report/html.int.test.ts': ['harness/test-support/browser.ts'],
      'harness/test-support/browser.ts': ['harness/report/browser.ts', 'harness/test-support/docker.ts'],
      'harness/report/browser.ts': [],
    };
    expect(testSupportImports(graph)).toEqual(['harness/report/screenshot.ts imports harness/test-support/browser.ts']);
  });

  it('the sources keep the rule: cluster/ imports nothing of harness/ or app/, app/ nothing of harness/, no import cycles, and no production code imports test support', () => {
    const graph = repoGraph(packageRoot());
    // The walk found the code it should: a reader that finds nothing would pass anything.
    expect(graph['harness/drill.ts']).toContain('harness/report/report.ts');
    expect(graph['cluster/images.ts']).toContain('cluster/bundle.ts');
    expect(Object.keys(graph).length).toBeGreaterThan(100);
    expect(forbidden(graph)).toEqual([]);
    expect(cycles(graph)).toEqual([]);
    expect(testSupportImports(graph)).toEqual([]);
  });
});
