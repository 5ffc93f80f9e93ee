/**
 * The documentation keeps its promises: in README.md and every .md under docs/, each relative link
 * leads to a file or folder that exists and each #anchor to a heading that exists (GitHub's slugs),
 * and each command in a shell block starts with a real program; `npm run` names a script of
 * package.json, and `flipdrill <command>` a command of the CLI (from its help text).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { USAGE } from './cli-args.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The programs a reader is told to run. Add one only when a page really needs it. */
const PROGRAMS = new Set([
  'npm',
  'npx',
  'node',
  'git',
  'cd',
  'export',
  'docker',
  'dockerd',
  'apt-get',
  'flipdrill',
  'vagrant',
  'ansible-playbook',
  'ansible-inventory',
  'ssh',
  'psql',
  'curl',
  'grep',
  'ssh-keygen',
]);
/** npm's own subcommands the pages use (scripts are checked against package.json). */
const NPM_COMMANDS = new Set(['ci', 'install', 'pack', 'run', 'test']);
/** Tools run through npx: this package's dependencies. */
const NPX_TOOLS = new Set(['vitest', 'tsx', 'tsc', 'flipdrill']);

/** flipdrill's commands, as its help lists them: the lines under "Commands:" (two spaces, then a word). */
export function commandsFromUsage(usage: string): Set<string> {
  const lines = usage.split('\n');
  const start = lines.findIndex((l) => l.trim() === 'Commands:');
  const commands = new Set<string>(['help']);
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') break;
    const m = /^ {2}([a-z][a-z-]*)/.exec(line);
    if (m) commands.add(m[1]!);
  }
  return commands;
}

const SCRIPTS = new Set(Object.keys((JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts));
const COMMANDS = commandsFromUsage(USAGE);

/** GitHub's anchor for a heading's text: lowercase, punctuation dropped (not - or _), spaces to dashes. */
export function slug(heading: string): string {
  const text = heading
    .replace(/!\[[^\]]*\]\([^)]*\)/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '').replace(/ /g, '-');
}

interface Block {
  lang: string;
  lines: string[];
  /** 1-based line of the opening fence. */
  line: number;
}

/** The text outside fenced code blocks (fenced lines blanked, so line numbers hold), and the blocks. */
export function splitMarkdown(text: string): { prose: string[]; blocks: Block[] } {
  const prose: string[] = [];
  const blocks: Block[] = [];
  let open: { fence: string; block: Block } | undefined;
  text.split('\n').forEach((line, i) => {
    const fence = /^\s*(`{3,}|~{3,})\s*([\w+-]*)/.exec(line);
    if (open) {
      if (fence && fence[1]!.startsWith(open.fence) && line.trim() === fence[1]) {
        blocks.push(open.block);
        open = undefined;
      } else open.block.lines.push(line);
      prose.push('');
    } else if (fence) {
      open = { fence: fence[1]!, block: { lang: fence[2]!.toLowerCase(), lines: [], line: i + 1 } };
      prose.push('');
    } else prose.push(line);
  });
  return { prose, blocks };
}

/** Every heading's anchor, duplicates numbered as GitHub does (-1, -2...). */
export function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of splitMarkdown(text).prose) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Problems with the relative links of one Markdown file. */
export function linkProblems(file: string, text: string, readText: (f: string) => string | undefined, exists: (f: string) => boolean): string[] {
  const problems: string[] = [];
  const { prose } = splitMarkdown(text);
  prose.forEach((raw, i) => {
    const line = raw.replace(/<!--.*?-->/g, '').replace(/(`+)(?:(?!\1).)+?\1/g, '``');
    for (const m of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const href = m[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue; // http(s), mailto and other schemes
      const where = `${path.relative(ROOT, file)}:${i + 1}: ${href}`;
      const [target, anchor] = href.split('#', 2) as [string, string | undefined];
      const resolved = target ? path.resolve(path.dirname(file), decodeURIComponent(target)) : file;
      if (target && !exists(resolved)) {
        problems.push(`${where}: no such file or folder`);
        continue;
      }
      if (anchor === undefined || !resolved.endsWith('.md')) continue;
      const targetText = readText(resolved);
      if (targetText === undefined) continue;
      if (!anchorsOf(targetText).has(decodeURIComponent(anchor))) problems.push(`${where}: no heading with that anchor`);
    }
  });
  return problems;
}

/** A shell line cut into commands at &&, ||, ; and | outside quotes, with its comment dropped. */
export function commandsOfLine(line: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      current += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      current += c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) {
      break;
    } else if (c === ';' || c === '|' || (c === '&' && line[i + 1] === '&')) {
      out.push(current);
      current = '';
      if (line[i + 1] === c) i++;
    } else current += c;
  }
  out.push(current);
  return out.map((s) => s.trim()).filter(Boolean);
}

/** What is wrong with one command (empty when it is fine). */
export function commandProblem(command: string, commands: Set<string>, scripts: Set<string>): string | undefined {
  let words = command.split(/\s+/);
  // The shell's own words: a loop's list is no command; what follows do, then, while or if is one.
  if (['for', 'done', 'fi', 'esac'].includes(words[0]!)) return undefined;
  for (;;) {
    if (['do', 'then', 'else', 'while', 'until', 'if', '!'].includes(words[0]!)) words = words.slice(1);
    else if (words[0] === 'sudo') {
      words = words.slice(1);
      while (words[0]?.startsWith('-')) words = words.slice(words[0] === '-u' ? 2 : 1);
    } else if (words[0] !== undefined && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) words = words.slice(1);
    else break;
  }
  const [program, ...args] = words;
  if (!program) return undefined;
  // A script of this repository, named by its path (a fixture's recipe).
  if (program.includes('/') && !program.startsWith('/') && existsSync(path.join(ROOT, program))) return undefined;
  if (!PROGRAMS.has(program)) return `"${program}" is not a program these docs use`;
  const flipdrillCommand = (rest: string[]) => {
    const name = rest.find((a) => !a.startsWith('-'));
    if (name === undefined) return rest.some((a) => a === '--help' || a === '-h' || a === '--version') ? undefined : 'flipdrill without a command';
    return commands.has(name) ? undefined : `"${name}" is not a flipdrill command (${[...commands].join(', ')})`;
  };
  if (program === 'flipdrill') return flipdrillCommand(args);
  if (program === 'npx') {
    const tool = args.find((a) => !a.startsWith('-'));
    if (!tool || !NPX_TOOLS.has(tool)) return `npx ${tool ?? ''}: not a tool of this package`;
    return tool === 'flipdrill' ? flipdrillCommand(args.slice(args.indexOf(tool) + 1)) : undefined;
  }
  if (program !== 'npm') return undefined;
  const sub = args[0];
  if (!sub || !NPM_COMMANDS.has(sub)) return `npm ${sub ?? ''}: not an npm command these docs use`;
  if (sub === 'test' && !scripts.has('test')) return 'npm test: package.json has no test script';
  if (sub !== 'run') return undefined;
  const rest = args.slice(1).filter((a) => a !== '-s' && a !== '--silent');
  const script = rest[0];
  if (!script || !scripts.has(script)) return `npm run ${script ?? ''}: no such script in package.json`;
  if (script === 'flipdrill') {
    const dashes = rest.indexOf('--');
    return dashes < 0 ? 'npm run flipdrill without -- <command>' : flipdrillCommand(rest.slice(dashes + 1));
  }
  return undefined;
}

/** Problems with the commands of one Markdown file's sh, bash, shell and console blocks. */
export function commandProblems(file: string, text: string, commands: Set<string>, scripts: Set<string>): string[] {
  const problems: string[] = [];
  for (const block of splitMarkdown(text).blocks) {
    if (!['sh', 'bash', 'shell', 'console'].includes(block.lang)) continue;
    const lines: string[] = [];
    let pending: string | undefined;
    for (const raw of block.lines) {
      let line = raw;
      if (pending === undefined) {
        if (block.lang === 'console') {
          if (!line.startsWith('$ ')) continue;
          line = line.slice(2);
        }
        if (/^\s*(#|$)/.test(line)) continue;
      }
      line = (pending ?? '') + line;
      if (/\\\s*$/.test(line)) pending = line.replace(/\\\s*$/, ' ');
      else {
        lines.push(line);
        pending = undefined;
      }
    }
    if (pending !== undefined) lines.push(pending);
    for (const line of lines) {
      for (const command of commandsOfLine(line)) {
        const problem = commandProblem(command, commands, scripts);
        if (problem) problems.push(`${path.relative(ROOT, file)} (block at line ${block.line}): ${command}: ${problem}`);
      }
    }
  }
  return problems;
}

function markdownUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? markdownUnder(path.join(dir, e.name)) : e.name.endsWith('.md') ? [path.join(dir, e.name)] : []))
    .sort();
}

const FILES = [path.join(ROOT, 'README.md'), ...markdownUnder(path.join(ROOT, 'docs'))];
const readText = (f: string) => (existsSync(f) && statSync(f).isFile() ? readFileSync(f, 'utf8') : undefined);

describe('the documentation', () => {
  it('has pages to check, and a CLI help to read the commands from', () => {
    expect(FILES.length).toBeGreaterThan(1);
    expect([...COMMANDS]).toEqual(expect.arrayContaining(['drill', 'check', 'down', 'help']));
  });

  for (const file of FILES) {
    const name = path.relative(ROOT, file);
    it(`${name}: every relative link and anchor resolves`, () => {
      expect(linkProblems(file, readFileSync(file, 'utf8'), readText, existsSync)).toEqual([]);
    });
    it(`${name}: every shell command is a real program, script or flipdrill command`, () => {
      expect(commandProblems(file, readFileSync(file, 'utf8'), COMMANDS, SCRIPTS)).toEqual([]);
    });
  }
});

describe('the documentation checks themselves', () => {
  const page = path.join(ROOT, 'docs', 'page.md');
  const files: Record<string, string> = {
    [page]: '# Page\n\n## Run it: `flipdrill drill`\n\n## Notes\n\n## Notes\n',
    [path.join(ROOT, 'docs', 'other.md')]: '# Other\n',
  };
  const read = (f: string) => files[f];
  const exists = (f: string) => f in files || f === path.join(ROOT, 'docs');

  it("slugs headings as GitHub does, numbering duplicates", () => {
    expect(slug('RDS: DATABASE_URL and sslmode')).toBe('rds-database_url-and-sslmode');
    expect(slug('Every fault at the floor: one bench run (newest)')).toBe('every-fault-at-the-floor-one-bench-run-newest');
    expect([...anchorsOf(files[page]!)]).toEqual(['page', 'run-it-flipdrill-drill', 'notes', 'notes-1']);
  });

  it('finds a link to a missing file and a missing anchor, and skips URLs and code', () => {
    const text = [
      '[ok](other.md) [ok](#notes-1) [ok](other.md#other) [ok](../docs) [web](https://example.com/x.md) [mail](mailto:a@b.c)',
      '`[in code](missing.md)`',
      '[broken](missing.md) [bad anchor](#nowhere) [bad cross](other.md#nowhere)',
      '```md',
      '[in a block](missing.md)',
      '```',
    ].join('\n');
    expect(linkProblems(page, text, read, exists)).toEqual([
      'docs/page.md:3: missing.md: no such file or folder',
      'docs/page.md:3: #nowhere: no heading with that anchor',
      'docs/page.md:3: other.md#nowhere: no heading with that anchor',
    ]);
  });

  it('finds an unknown program, script or flipdrill command, and reads console blocks by their prompts', () => {
    const commands = new Set(['drill', 'down', 'help']);
    const scripts = new Set(['flipdrill', 'drill', 'test']);
    const text = [
      '```sh',
      'npm ci && npm run drill     # a comment; not | a command',
      'sudo FOO=1 npm run flipdrill -- down --name x | cat',
      'npm run -s flipdrill -- explode',
      'npm run deploy',
      'for i in $(seq 1 3); do flipdrill drill | grep verdict; done',
      'flipdrill drill --scenario a \\',
      '  --seed 1; rm -rf /tmp/x',
      '```',
      '```console',
      '$ flipdrill help',
      'flipdrill: this is output, not a command',
      '$ make all',
      '```',
    ].join('\n');
    expect(commandProblems(page, text, commands, scripts)).toEqual([
      'docs/page.md (block at line 1): cat: "cat" is not a program these docs use',
      'docs/page.md (block at line 1): npm run -s flipdrill -- explode: "explode" is not a flipdrill command (drill, down, help)',
      'docs/page.md (block at line 1): npm run deploy: npm run deploy: no such script in package.json',
      'docs/page.md (block at line 1): rm -rf /tmp/x: "rm" is not a program these docs use',
      'docs/page.md (block at line 10): make all: "make" is not a program these docs use',
    ]);
  });

  it('reads the commands from the help text', () => {
    expect(commandsFromUsage('x\n\nCommands:\n  drill     does\n            more words\n  flip status|assign\n\nOptions:\n  --name  n\n')).toEqual(new Set(['help', 'drill', 'flip']));
  });
});
