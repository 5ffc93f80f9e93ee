/**
 * `flipdrill-flip` (the hook's program, and `flipdrill flip`) against the simulator on 127.0.0.1:
 * its own droplet from the metadata twin, the token from a file, and bad input refused in one line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from './flip-cli.ts';
import { DoApiSimulator } from './simulator.ts';

const TOKEN = 'dop_v1_flipcli_test_token';
let sim: DoApiSimulator;
let url: string;
let dir: string;

beforeEach(async () => {
  sim = new DoApiSimulator({
    tokens: [TOKEN],
    droplets: [
      { id: 101, name: 'node1', region: 'nyc3' },
      { id: 102, name: 'node2', region: 'nyc3' },
    ],
    ips: [{ ip: '203.0.113.10', region: 'nyc3', dropletId: 101 }],
    actionDelayMs: 30,
    rateLimit: { perHour: 5000, perMinute: 250 },
  });
  url = await sim.listen();
  dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-flip-'));
  writeFileSync(path.join(dir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
});
afterEach(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

const env = (extra: Record<string, string> = {}) => ({
  DIGITALOCEAN_TOKEN_FILE: path.join(dir, 'token'),
  FLIPDRILL_FLOATING_IP: '203.0.113.10',
  FLIPDRILL_DO_API_URL: `${url}/v2/`,
  FLIPDRILL_METADATA_URL: `${url}/__meta/102`,
  ...extra,
});

describe('flipdrill-flip', () => {
  it('assign moves the IP to the droplet the metadata service names, and prints the result as JSON', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await main(['assign'], env())).toBe(0);
    expect(JSON.parse(out.join(''))).toMatchObject({ outcome: 'moved', from: 101, to: 102 });
    expect(sim.state().ips[0]).toMatchObject({ dropletId: 102 });
  });

  it('status prints who holds it', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    expect(await main(['status'], env())).toBe(0);
    expect(JSON.parse(out.join(''))).toEqual({ ip: '203.0.113.10', regionSlug: 'nyc3', dropletId: 101, locked: false });
  });

  it('refuses bad input in one line, before calling the API', async () => {
    await expect(main(['move'], env())).rejects.toThrow('usage: flipdrill-flip status|assign');
    await expect(main(['assign'], env({ FLIPDRILL_FLOATING_IP: 'pg-primary' }))).rejects.toThrow('the floating IP must be an IPv4 address');
    await expect(main(['assign'], { FLIPDRILL_FLOATING_IP: '203.0.113.10' })).rejects.toThrow('no DigitalOcean token: set DIGITALOCEAN_TOKEN, or DIGITALOCEAN_TOKEN_FILE');
    await expect(main(['assign'], env({ DIGITALOCEAN_TOKEN_FILE: path.join(dir, 'missing') }))).rejects.toThrow(/DIGITALOCEAN_TOKEN_FILE .*missing cannot be read \(ENOENT\)/);
    expect(sim.requests).toEqual([]);
  });
});

describe('flipdrill-flip exit codes (the same for `flipdrill flip` and the bundled hook)', () => {
  it('refuses a deadline that is not a number of seconds, with exit 2, before asking the API', async () => {
    const { runFlip } = await import('./flip-cli.ts');
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
    for (const bad of ['abc', '', '-5', '0', '1e3', '99999', '2.5']) {
      expect(await runFlip(['assign', '--droplet', '102'], env({ FLIPDRILL_FLIP_DEADLINE_SECS: bad }))).toBe(2);
    }
    expect(err.join('')).toMatch(/FLIPDRILL_FLIP_DEADLINE_SECS must be a whole number of seconds from 1 to 3600, not "abc"/);
    expect(sim.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('answers 1 when the API refuses the move, 2 for bad input, 0 when done', async () => {
    const { runFlip } = await import('./flip-cli.ts');
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(await runFlip(['assign', '--droplet', '999'], env())).toBe(1);
    expect(await runFlip(['assign', '--droplet', 'x'], env())).toBe(2);
    expect(await runFlip(['nonsense'], env())).toBe(2);
    expect(await runFlip(['assign', '--bogus'], env())).toBe(2);
    expect(await runFlip(['assign', '--droplet', '102'], env({ FLIPDRILL_FLIP_DEADLINE_SECS: '30' }))).toBe(0);
  });
});
