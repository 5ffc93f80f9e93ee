/**
 * One source of truth for the node configuration: the files in cluster/node-image/conf are
 * rendered by the container entrypoint and by the Ansible role. Every placeholder must be one
 * both of them fill, or a container or a machine would start with a literal "{{ ... }}".
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../images.ts';

const confDir = path.join(REPO_ROOT, 'cluster/node-image/conf');
const placeholders = [...new Set(readdirSync(confDir).flatMap((f) => [...readFileSync(path.join(confDir, f), 'utf8').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!)))].sort();

describe('the node configuration files', () => {
  it('use only flipdrill_* placeholders, and nothing else of Jinja', () => {
    expect(placeholders.length).toBeGreaterThan(5);
    for (const name of placeholders) expect(name).toMatch(/^flipdrill_[a-z_]+$/);
    for (const f of readdirSync(confDir)) expect(readFileSync(path.join(confDir, f), 'utf8')).not.toMatch(/\{%|\{#/);
  });

  it('have every placeholder filled by the container entrypoint', () => {
    const entrypoint = readFileSync(path.join(REPO_ROOT, 'cluster/node-image/flipdrill-node.sh'), 'utf8');
    const keys = /for key in ((?:[A-Z_ ]|\\\n)+); do\n\s*placeholder=/.exec(entrypoint)?.[1]?.replace(/\\\n/g, ' ').trim().split(/\s+/) ?? [];
    expect(keys.map((k) => `flipdrill_${k.toLowerCase()}`).sort()).toEqual(placeholders);
  });

  it('have every placeholder defined by the Ansible role', () => {
    const defaults = readFileSync(path.join(REPO_ROOT, 'ansible/roles/flipdrill_node/defaults/main.yml'), 'utf8');
    const defined = new Set([...defaults.matchAll(/^(flipdrill_\w+):/gm)].map((m) => m[1]));
    // flipdrill_node_id is per host, in the inventory (the role checks it is set).
    for (const name of placeholders.filter((p) => p !== 'flipdrill_node_id')) expect(defined, name).toContain(name);
  });
});
