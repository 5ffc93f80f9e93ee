/**
 * The CI examples (a GitHub workflow, a GitLab job) are not run here: what can be checked without
 * their services is that the drill they run is one the command line takes, and that they keep the
 * fixes their comments explain.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './cli-args.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const EXAMPLES = ['.github/workflows/drill.yml', 'docs/examples/gitlab-ci.yml'];

describe('the CI examples', () => {
  it.each(EXAMPLES)('%s runs a drill the command line takes, with node on the PATH under sudo', (file) => {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    const line = text.split('\n').find((l) => /npm run drill -- /.test(l) && !l.trim().startsWith('#'));
    expect(line, 'the drill command').toBeDefined();
    const args = line!.slice(line!.indexOf('npm run drill -- ') + 'npm run drill -- '.length).trim().split(/\s+/);
    expect(parseCommandLine(['drill', ...args]).command).toBe('drill');
    // sudo's secure_path would drop node: the PATH is handed over with env, not --preserve-env.
    expect(line).toMatch(/sudo env "PATH=\$PATH"/);
    const code = text.split('\n').filter((l) => !l.trim().startsWith('#'));
    expect(code.join('\n')).not.toMatch(/--preserve-env/);
  });

  it('the GitHub workflow runs once per change, and publishes checks only where its token may', () => {
    const text = readFileSync(path.join(ROOT, EXAMPLES[0]!), 'utf8');
    expect(text).toMatch(/on:\n {2}push:\n {4}branches: \[main\]\n {2}pull_request:/);
    expect(text).toMatch(/cancel-in-progress: true/);
    expect(text).toMatch(/head\.repo\.full_name == github\.repository/);
    expect(text).toMatch(/actions\/cache@v4/);
  });
});
