/**
 * The docker driver on two plain containers it did not make ready for it (flipdrill's node image
 * running a small TCP and UDP listener, no extra capability), on a network this test creates with
 * its own subnet: freeze and thaw, the partition (the other container cannot reach it, then can),
 * the one-way partition (it hears nothing from the other, which still hears it), a network shape,
 * kill and start; after each undo nothing is left, the helper container included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDocker } from '../../docker/engine.ts';
import type { DockerClient } from '../../docker/docker-client.ts';
import { removeClusters } from '../../docker/remove.ts';
import { ImageBuilder } from '../../images.ts';
import { silentLogger } from '../../lib/logger.ts';
import { waitFor } from '../../lib/wait-for.ts';
import { projectLabels, subnetsOverlap } from '../../spec.ts';
import { dockerDriver } from './docker-driver.ts';
import { nodeImageOf } from './netns.ts';
import type { NodeDriver } from './node-driver.ts';

const NAME = 'fdtest-drv';
const SUBNET = '10.230.5.0/24';
const A = { container: `${NAME}-a`, ip: '10.230.5.11' };
const B = { container: `${NAME}-b`, ip: '10.230.5.12' };
const HELPER = `${A.container}-flipdrill-net`;

/** Answers TCP on 8080; echoes each line on 8081 for as long as the connection lasts; writes each UDP datagram on 9999 to /tmp/heard as "<sender> <text>". */
const LISTENER = String.raw`
import socket, threading, socketserver
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('0.0.0.0', 9999))
    while True:
        data, sender = s.recvfrom(100)
        with open('/tmp/heard', 'a') as f:
            f.write('%s %s\n' % (sender[0], data.decode().strip()))
threading.Thread(target=udp, daemon=True).start()
class Hello(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(b'hello\n')
class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(line)
socketserver.ThreadingTCPServer.allow_reuse_address = True
threading.Thread(target=socketserver.ThreadingTCPServer(('0.0.0.0', 8081), Echo).serve_forever, daemon=True).start()
socketserver.ThreadingTCPServer(('0.0.0.0', 8080), Hello).serve_forever()
`;

let docker: DockerClient;
let a: NodeDriver;

/** Does `from` get an answer from `to`'s TCP listener within 3 s? */
async function reaches(from: string, to: string): Promise<boolean> {
  const r = await docker.exec(from, ['timeout', '3', 'bash', '-c', `exec 3<>/dev/tcp/${to}/8080 && head -c 5 <&3`]);
  return r.exitCode === 0 && r.stdout === 'hello';
}

/** Wait until `from` reaches `to` again (a heal, a start). */
function until(from: string, to: string): Promise<true> {
  return waitFor(`${from} to reach ${to}`, async () => (await reaches(from, to)) || undefined, { timeoutMs: 30_000, intervalMs: 250 });
}

/** Every capability's leftovers on A. */
async function leftovers(): Promise<string[]> {
  const c = a.capabilities;
  return [...(await c.freeze!.leftovers()), ...(await c.partition!.leftovers()), ...(await c['one-way-partition']!.leftovers()), ...(await c['network-shape']!.leftovers()), ...(await c.connections!.leftovers())];
}

describe('the docker driver on plain containers', () => {
  beforeAll(async () => {
    docker = await connectDocker({ logger: silentLogger });
    await removeClusters(docker, silentLogger, NAME);
    // Our own subnet, checked before use: nothing else on this engine may overlap it.
    const clash = (await docker.listNetworks()).filter((n) => n.subnets.some((s) => subnetsOverlap(s, SUBNET)));
    if (clash.length) throw new Error(`networks on this engine overlap ${SUBNET}: ${clash.map((n) => n.name).join(', ')}`);
    const labels = projectLabels(NAME);
    await docker.createNetwork({ name: NAME, subnet: SUBNET, gateway: '10.230.5.1', labels });
    const created = (await docker.listNetworks(labels)).find((n) => n.name === NAME);
    expect(created?.subnets).toEqual([SUBNET]);

    const builder = new ImageBuilder({ docker, logger: silentLogger });
    const image = nodeImageOf(builder);
    for (const node of [A, B]) {
      await docker.createContainer({
        name: node.container,
        hostname: node.container,
        image: await image(),
        env: {},
        labels,
        publish: {},
        networks: [{ network: NAME, ipv4Address: node.ip, aliases: [] }],
        entrypoint: ['python3', '-c', LISTENER],
        stopTimeoutSecs: 2,
      });
      await docker.startContainer(node.container);
    }
    a = dockerDriver({ name: 'a', container: A.container, stopTimeoutSecs: 2 }, { docker, helperImage: image, labels });
    await until(B.container, A.ip);
    await until(A.container, B.ip);
  });

  afterAll(async () => {
    if (docker) await removeClusters(docker, silentLogger, NAME);
  });

  it('acts on containers with no capability beyond Docker\'s defaults: their own iptables is refused', async () => {
    for (const node of [A, B]) {
      const caps = await docker.exec(node.container, ['sh', '-c', "awk '/^CapEff/ {print $2}' /proc/1/status"]);
      const NET_ADMIN = 12n;
      expect((BigInt(`0x${caps.stdout.trim()}`) >> NET_ADMIN) & 1n).toBe(0n);
      expect((await docker.exec(node.container, ['iptables', '-w', '-S'])).exitCode).not.toBe(0);
    }
    expect(await a.addresses()).toEqual([A.ip]);
  });

  it('freezes with docker pause and thaws; a helper joins the paused container to look, and leaves', async () => {
    await a.capabilities.freeze!.pause();
    expect(await a.core.isRunning!()).toBe(false);
    expect(await reaches(B.container, A.ip)).toBe(false);
    expect(await leftovers()).toEqual(['a is paused (fdtest-drv-a)']);
    await a.capabilities.freeze!.unpause();
    expect(await a.core.isRunning!()).toBe(true);
    await until(B.container, A.ip);
    expect(await leftovers()).toEqual([]);
    expect(await docker.inspectContainer(HELPER)).toBeUndefined();
  });

  it('partitions: neither reaches the other, then both do, and nothing is left', async () => {
    await a.capabilities.partition!.partition();
    expect(await reaches(B.container, A.ip)).toBe(false);
    expect(await reaches(A.container, B.ip)).toBe(false);
    expect(await a.capabilities.partition!.leftovers()).toEqual(["a still has the partition's firewall rules"]);
    expect((await docker.inspectContainer(HELPER))?.running).toBe(true);
    await a.capabilities.partition!.heal();
    await until(B.container, A.ip);
    await until(A.container, B.ip);
    expect(await leftovers()).toEqual([]);
    expect(await docker.inspectContainer(HELPER)).toBeUndefined();
  });

  it('partitions one way: it hears nothing from the other, which still hears it', async () => {
    await a.capabilities['one-way-partition']!.partitionOneWay([B.ip]);
    expect(await reaches(B.container, A.ip)).toBe(false);
    const word = `sent-${Date.now()}`;
    await waitFor(
      'b to hear a datagram from a',
      async () => {
        await docker.exec(A.container, ['bash', '-c', `echo ${word} > /dev/udp/${B.ip}/9999`]);
        return (await docker.exec(B.container, ['cat', '/tmp/heard'])).stdout.includes(`${A.ip} ${word}`);
      },
      { timeoutMs: 10_000, intervalMs: 250 },
    );
    expect(await a.capabilities['one-way-partition']!.leftovers()).toEqual(["a still has the one-way partition's firewall rules"]);
    await a.capabilities['one-way-partition']!.healOneWay();
    await until(B.container, A.ip);
    expect(await leftovers()).toEqual([]);
    expect(await docker.inspectContainer(HELPER)).toBeUndefined();
  });

  it('shapes its links with a delay process that lives in the helper, and takes it all away', async () => {
    await a.capabilities['network-shape']!.shapeNetwork({ delayMs: 400 });
    // B's connection waits for A's answer, which waits 400 ms on its way out.
    const timed = await docker.exec(B.container, ['bash', '-c', `s=$(date +%s%N); exec 3<>/dev/tcp/${A.ip}/8080; head -c 5 <&3 >/dev/null; echo $(( ($(date +%s%N) - s) / 1000000 ))`]);
    expect(Number(timed.stdout.trim())).toBeGreaterThanOrEqual(350);
    expect(await a.capabilities['network-shape']!.leftovers()).toEqual(['a still has firewall rules of a network shape', 'a still has the delay process']);
    await a.capabilities['network-shape']!.unshapeNetwork();
    expect(await leftovers()).toEqual([]);
    expect(await docker.inspectContainer(HELPER)).toBeUndefined();
  });

  it('breaks the connections open to its port (reset, then half-open) while new ones work, and takes it all away', async () => {
    // The echo server on 8081 stands for the database's port.
    const echoing = dockerDriver({ name: 'a', container: A.container, stopTimeoutSecs: 2, dbPort: 8081 }, { docker, helperImage: nodeImageOf(new ImageBuilder({ docker, logger: silentLogger })), labels: projectLabels(NAME) });
    /** In B: a connection that echoes once, waits for /tmp/go, then echoes again; prints what the second exchange did. */
    const held = (id: string) =>
      docker.exec(B.container, [
        'bash',
        '-c',
        `exec 3<>/dev/tcp/${A.ip}/8081 && echo one >&3 && read -t 3 l <&3 && touch /tmp/${id}-open && for _ in $(seq 1 100); do [ -e /tmp/go-${id} ] && break; sleep 0.1; done; echo two >&3 2>/dev/null; if read -t 4 l2 <&3; then echo "answered $l2"; elif [ $? -gt 128 ]; then echo silent; else echo closed; fi`,
      ]);
    const fresh = async () => (await docker.exec(B.container, ['timeout', '3', 'bash', '-c', `exec 3<>/dev/tcp/${A.ip}/8081 && echo new >&3 && read -t 2 l <&3 && echo "$l"`])).stdout.trim();
    for (const [how, expected] of [['reset', 'closed'], ['half-open', 'silent']] as const) {
      const id = how;
      const exchange = held(id);
      await waitFor(`b's connection to be open (${how})`, async () => (await docker.exec(B.container, ['test', '-e', `/tmp/${id}-open`])).exitCode === 0, { timeoutMs: 10_000, intervalMs: 100 });
      await echoing.capabilities.connections!.breakConnections(how);
      expect(await fresh()).toBe('new');
      await docker.exec(B.container, ['touch', `/tmp/go-${id}`]);
      expect((await exchange).stdout.trim()).toBe(expected);
      expect(await echoing.capabilities.connections!.leftovers()).toEqual(["a still has the connection fault's firewall rules"]);
      await echoing.capabilities.connections!.restoreConnections();
      expect(await leftovers()).toEqual([]);
    }
    expect(await docker.inspectContainer(HELPER)).toBeUndefined();
  });

  it('kills the whole container and starts it again', async () => {
    await a.core.kill!();
    expect((await docker.inspectContainer(A.container))?.running).toBe(false);
    expect(await a.core.isRunning!()).toBe(false);
    await a.core.start!();
    expect(await a.core.isRunning!()).toBe(true);
    await until(B.container, A.ip);
    expect(await leftovers()).toEqual([]);
  });

  it('heals a partition the container outlived: a kill takes the namespace, the stale helper goes', async () => {
    await a.capabilities.partition!.partition();
    await a.core.kill!();
    await a.core.start!();
    await until(B.container, A.ip);
    // The helper shares the namespace that went with the kill; the look replaces it, finds nothing, and removes it.
    expect(await leftovers()).toEqual([]);
    expect(await docker.inspectContainer(HELPER)).toBeUndefined();
    await a.capabilities.partition!.heal();
  });

  it('stops the container and starts it again', async () => {
    await a.core.stop!();
    expect((await docker.inspectContainer(A.container))?.running).toBe(false);
    await a.core.start!();
    await until(B.container, A.ip);
  });
});
