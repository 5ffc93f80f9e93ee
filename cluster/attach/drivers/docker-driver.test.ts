/**
 * The docker driver against a stand-in engine: the Docker calls it makes for each fault and undo,
 * the helper container that runs iptables inside the node's network namespace (made when needed,
 * replaced when stale, removed once nothing of flipdrill's is left), and what it finds left.
 */
import { describe, expect, it } from 'vitest';
import type { ContainerSpec, ContainerState, DockerClient, ExecResult } from '../../docker/docker-client.ts';
import { shapeLeftScript } from '../../net-shape.ts';
import { ONE_WAY_CHAIN } from '../../target.ts';
import { dockerDriver, firstAddress } from './docker-driver.ts';
import { anythingLeftScript, PARTITION_IN } from '../../iptables.ts';

const HELPER = 'patroni-pg1-flipdrill-net';

/** An engine with the given containers; `inNetns` answers each script the helper runs (exit 0, no output unless it says). */
function engine(options: { containers?: Record<string, Partial<ContainerState>>; inNetns?: (script: string) => Partial<ExecResult> } = {}) {
  const calls: string[] = [];
  const created: ContainerSpec[] = [];
  const containers = new Map<string, ContainerState>();
  const add = (name: string, state: Partial<ContainerState> = {}) =>
    containers.set(name, { name, id: name, running: true, paused: false, status: 'running', networks: {}, labels: {}, env: {}, image: 'theirs', startedAt: '2024-05-01T10:00:00.000000000Z', ...state });
  for (const [name, state] of Object.entries(options.containers ?? { 'patroni-pg1': {} })) add(name, state);
  const docker = {
    inspectContainer: async (name: string) => containers.get(name),
    killContainer: async (name: string, signal: string) => void calls.push(`kill ${name} ${signal}`),
    stopContainer: async (name: string, secs: number) => void calls.push(`stop ${name} ${secs}`),
    startContainer: async (name: string) => {
      calls.push(`start ${name}`);
      const c = containers.get(name);
      if (c) containers.set(name, { ...c, running: true, startedAt: '2024-05-01T11:00:00.000000000Z' });
    },
    pauseContainer: async (name: string) => void calls.push(`pause ${name}`),
    unpauseContainer: async (name: string) => void calls.push(`unpause ${name}`),
    createContainer: async (spec: ContainerSpec) => {
      calls.push(`create ${spec.name}`);
      created.push(spec);
      add(spec.name, { running: false, image: spec.image, startedAt: undefined });
      return spec.name;
    },
    removeContainer: async (name: string) => {
      calls.push(`remove ${name}`);
      containers.delete(name);
    },
    listNetworks: async () => [
      { name: 'patroni_default', id: 'n1', subnets: ['10.230.9.0/24'], labels: {} },
      { name: 'elsewhere', id: 'n2', subnets: ['10.230.8.0/24'], labels: {} },
    ],
    exec: async (container: string, cmd: string[]): Promise<ExecResult> => {
      if (container !== HELPER) {
        calls.push(`exec ${container} ${cmd.join(' ')}`);
        return { exitCode: 0, stdout: 'ran', stderr: '' };
      }
      const script = cmd[2]!;
      calls.push(script === anythingLeftScript() ? 'netns: anything left?' : `netns: ${script}`);
      return { exitCode: 0, stdout: '', stderr: '', ...options.inNetns?.(script) };
    },
  } as unknown as DockerClient;
  const driver = dockerDriver({ name: 'pg1', container: 'patroni-pg1' }, { docker, helperImage: async () => 'flipdrill/node:abc', labels: { 'io.flipdrill.project': 'flipdrill' } });
  return { driver, calls, created, containers };
}

describe('the docker driver', () => {
  it('kills, stops and starts the whole container, and says so', async () => {
    const { driver, calls, containers } = engine();
    expect(driver.core.describe('kill')).toBe('docker kill --signal SIGKILL patroni-pg1');
    expect(driver.core.describe('kill', 'SIGTERM')).toBe('docker kill --signal SIGTERM patroni-pg1');
    expect(driver.core.describe('stop')).toBe('docker stop --time 10 patroni-pg1');
    await driver.core.kill!();
    await driver.core.stop!();
    // A running container is left alone; a stopped one is started; a paused one unpaused.
    await driver.core.start!();
    containers.set('patroni-pg1', { ...containers.get('patroni-pg1')!, running: false, status: 'exited' });
    await driver.core.start!();
    containers.set('patroni-pg1', { ...containers.get('patroni-pg1')!, paused: true });
    await driver.core.start!();
    expect(calls).toEqual(['kill patroni-pg1 SIGKILL', 'stop patroni-pg1 10', 'start patroni-pg1', 'unpause patroni-pg1']);
  });

  it('refuses a container that does not exist, by name', async () => {
    const { driver } = engine({ containers: {} });
    await expect(driver.core.kill!()).rejects.toThrow('pg1: there is no container named patroni-pg1 on this Docker engine');
  });

  it('runs commands in the container, and counts a paused one as not running', async () => {
    const { driver, calls, containers } = engine();
    expect(await driver.core.exec!(['pg_isready'])).toEqual({ exitCode: 0, stdout: 'ran', stderr: '' });
    expect(calls).toEqual(['exec patroni-pg1 pg_isready']);
    expect(await driver.core.isRunning!()).toBe(true);
    containers.set('patroni-pg1', { ...containers.get('patroni-pg1')!, paused: true });
    expect(await driver.core.isRunning!()).toBe(false);
  });

  it('freezes with docker pause, thaws only a paused container, and finds a paused one left', async () => {
    const { driver, calls, containers } = engine();
    const freeze = driver.capabilities.freeze!;
    expect(freeze.describe()).toBe('docker pause patroni-pg1');
    await freeze.pause();
    await freeze.unpause();
    expect(calls).toEqual(['pause patroni-pg1']);
    containers.set('patroni-pg1', { ...containers.get('patroni-pg1')!, paused: true });
    expect(await freeze.leftovers()).toEqual(['pg1 is paused (patroni-pg1)']);
    await freeze.unpause();
    expect(calls.at(-1)).toBe('unpause patroni-pg1');
  });

  it('partitions from a helper in the network namespace, with no privilege for the container, and removes the helper after the heal', async () => {
    let chains = false;
    const { driver, calls, created } = engine({
      inNetns: (script) => {
        if (script.startsWith('set -e')) chains = true;
        if (script.includes('iptables -w -X')) chains = false;
        return { stdout: script === anythingLeftScript() && chains ? `${PARTITION_IN}\n` : '' };
      },
    });
    const partition = driver.capabilities.partition!;
    await partition.partition();
    expect(created).toEqual([
      {
        name: HELPER,
        hostname: HELPER,
        image: 'flipdrill/node:abc',
        env: {},
        labels: { 'io.flipdrill.project': 'flipdrill' },
        publish: {},
        networks: [],
        networkOf: 'patroni-pg1',
        capAdd: ['NET_ADMIN'],
        entrypoint: ['bash', '-c', 'trap "exit 0" TERM; while :; do sleep 3600 & wait $!; done'],
        stopTimeoutSecs: 1,
      },
    ]);
    const add = calls[2]!;
    expect(add).toContain('iptables -w -A FLIPDRILL-PARTITION-IN -i lo -j RETURN\niptables -w -A FLIPDRILL-PARTITION-IN -j DROP');
    expect(add).toContain('iptables -w -A FLIPDRILL-PARTITION-OUT -o lo -j RETURN\niptables -w -A FLIPDRILL-PARTITION-OUT -j DROP');
    expect(add).toContain('iptables -w -C OUTPUT -j FLIPDRILL-PARTITION-OUT 2>/dev/null || iptables -w -I OUTPUT -j FLIPDRILL-PARTITION-OUT');
    // The helper stays while the chains are there.
    expect(calls.slice(0, 2).concat(calls.slice(3))).toEqual([`create ${HELPER}`, `start ${HELPER}`]);
    calls.length = 0;
    await partition.heal();
    expect(calls[0]).toContain('while iptables -w -D INPUT -j FLIPDRILL-PARTITION-IN 2>/dev/null; do :; done');
    expect(calls.slice(1)).toEqual(['netns: anything left?', `remove ${HELPER}`]);
    expect(partition.describe()).toMatch(/^in patroni-pg1's network namespace \(a helper container patroni-pg1-flipdrill-net: --network container:patroni-pg1 --cap-add NET_ADMIN, flipdrill's node image\): set -e; iptables -w -N FLIPDRILL-PARTITION-IN/);
  });

  it('replaces a helper older than the container\'s last start (it shares a namespace that is gone)', async () => {
    const { driver, calls } = engine({
      containers: { 'patroni-pg1': {}, [HELPER]: { startedAt: '2024-05-01T09:00:00.000000000Z' } },
      inNetns: (script) => ({ stdout: script === anythingLeftScript() ? `${ONE_WAY_CHAIN}\n` : '' }),
    });
    await driver.capabilities['one-way-partition']!.partitionOneWay(['10.230.9.3', '10.230.9.4']);
    expect(calls.slice(0, 3)).toEqual([`remove ${HELPER}`, `create ${HELPER}`, `start ${HELPER}`]);
    expect(calls[3]).toContain(`iptables -w -A ${ONE_WAY_CHAIN} -s 10.230.9.3/32 -j DROP\niptables -w -A ${ONE_WAY_CHAIN} -s 10.230.9.4/32 -j DROP\niptables -w -C INPUT -j ${ONE_WAY_CHAIN}`);
  });

  it('refuses a one-way partition with no address to drop, and any network fault on a container that is not running', async () => {
    const { driver, containers } = engine();
    await expect(driver.capabilities['one-way-partition']!.partitionOneWay([])).rejects.toThrow('pg1: no address of another node is known');
    containers.set('patroni-pg1', { ...containers.get('patroni-pg1')!, running: false });
    await expect(driver.capabilities.partition!.partition()).rejects.toThrow('could not cut pg1 off: the container patroni-pg1 is not running');
  });

  it('takes a failed change back and says why', async () => {
    const { driver, calls } = engine({ inNetns: (script) => (script.startsWith('set -e') ? { exitCode: 4, stderr: "iptables: can't initialize iptables table `filter'" } : {}) });
    await expect(driver.capabilities.partition!.partition()).rejects.toThrow("could not cut pg1 off (exit 4): iptables: can't initialize iptables table `filter'");
    expect(calls.slice(3)).toEqual([expect.stringContaining('iptables -w -X FLIPDRILL-PARTITION-OUT'), 'netns: anything left?', `remove ${HELPER}`]);
  });

  it('heals a container that is not running by removing its helper, and finds nothing left on it', async () => {
    const { driver, calls } = engine({ containers: { 'patroni-pg1': { running: false }, [HELPER]: {} } });
    await driver.capabilities.partition!.heal();
    expect(calls).toEqual([`remove ${HELPER}`]);
    expect(await driver.capabilities['one-way-partition']!.leftovers()).toEqual([]);
    expect(calls).toEqual([`remove ${HELPER}`]);
  });

  it('finds what the network faults left, through a helper it removes after when nothing is', async () => {
    const left = engine({
      inNetns: (script) => ({
        stdout: script === shapeLeftScript() ? 'the delay process\n' : script.includes(`iptables -w -S ${ONE_WAY_CHAIN}`) ? `${ONE_WAY_CHAIN}\n` : script === anythingLeftScript() ? 'x\n' : '',
      }),
    });
    expect(await left.driver.capabilities.partition!.leftovers()).toEqual([]);
    expect(await left.driver.capabilities['one-way-partition']!.leftovers()).toEqual(["pg1 still has the one-way partition's firewall rules"]);
    expect(await left.driver.capabilities['network-shape']!.leftovers()).toEqual(['pg1 still has the delay process']);
    expect(left.calls.filter((c) => c.startsWith('remove'))).toEqual([]);
    const clean = engine();
    expect(await clean.driver.capabilities.partition!.leftovers()).toEqual([]);
    expect(clean.calls).toEqual([`create ${HELPER}`, `start ${HELPER}`, expect.stringContaining('iptables -w -S FLIPDRILL-PARTITION-IN'), 'netns: anything left?', `remove ${HELPER}`]);
  });

  it("shapes the links but for this host's, through the gateways of the container's networks", async () => {
    const { driver, calls } = engine({ containers: { 'patroni-pg1': { networks: { patroni_default: { ipv4Address: '10.230.9.2', aliases: [] } } } } });
    await driver.capabilities['network-shape']!.shapeNetwork({ lossPct: 10 });
    expect(calls[2]).toContain('iptables -w -A FLIPDRILL-SHAPE-OUT -d 10.230.9.1/32 -j RETURN');
    expect(calls[2]).toContain('iptables -w -A FLIPDRILL-SHAPE-IN -s 10.230.9.1/32 -j RETURN');
    expect(calls[2]).not.toContain('10.230.8.1');
    expect(driver.capabilities['network-shape']!.describe({ delayMs: 100 })).toMatch(/^pg1's links: 100 ms delay on every packet it sends, by iptables and an NFQUEUE in patroni-pg1's network namespace/);
  });

  it("gives its addresses on every network it is on", async () => {
    const { driver } = engine({ containers: { 'patroni-pg1': { networks: { a: { ipv4Address: '10.230.9.2', aliases: [] }, b: { ipv4Address: '10.230.8.5', aliases: [] } } } } });
    expect(await driver.addresses()).toEqual(['10.230.9.2', '10.230.8.5']);
    expect(driver.where).toBe('container patroni-pg1');
  });

  it('finds a gateway as the first address of its subnet', () => {
    expect(firstAddress('172.17.0.0/16')).toBe('172.17.0.1');
    expect(firstAddress('10.230.5.0/24')).toBe('10.230.5.1');
    expect(firstAddress('10.0.0.0/8')).toBe('10.0.0.1');
    expect(firstAddress('fd00::/64')).toBeUndefined();
  });
});
