/**
 * A slow or lossy network on one node's links, made inside the node's own network namespace, the
 * same way on containers and machines:
 *
 * - loss: iptables' `statistic` match drops each packet in or out with the given probability;
 * - delay and jitter: every packet the node sends goes through an NFQUEUE, where a small Python
 *   process (below) holds it for the delay (± the jitter, in order) before letting it go.
 *
 * Why not tc netem: it is the usual tool, but a kernel built without sch_netem (CI machines, some
 * cloud kernels) has no way to add it, and NFQUEUE with the statistic match is in every kernel
 * Docker runs on. `--queue-bypass` lets packets through whenever nobody listens on the queue, so a
 * delay process that dies takes the delay with it instead of cutting the node off.
 *
 * Loopback is never shaped, nor the exempt traffic the target names (the host's own connections to
 * a container, SSH to a machine): the harness watches through those, and a watcher slowed by the
 * fault would measure itself.
 */

export interface NetworkShape {
  /** Added to every packet the node sends, in milliseconds. */
  delayMs?: number;
  /** Each packet's delay varies by up to this much either way (packets keep their order). */
  jitterMs?: number;
  /** Percentage of packets dropped, each way. */
  lossPct?: number;
}

/** The chains that hold the rules, and the queue number: fixed, so a leftover is easy to find. */
export const SHAPE_CHAIN_OUT = 'FLIPDRILL-SHAPE-OUT';
export const SHAPE_CHAIN_IN = 'FLIPDRILL-SHAPE-IN';
export const SHAPE_QUEUE = 4207;
export const SHAPE_PID_FILE = '/run/flipdrill-net-delay.pid';

/** A one-line account of the shape, for the fault's record. */
export function describeShape(shape: NetworkShape): string {
  const parts: string[] = [];
  if (shape.delayMs) parts.push(`${shape.delayMs} ms delay${shape.jitterMs ? ` ± ${shape.jitterMs} ms` : ''} on every packet it sends`);
  if (shape.lossPct) parts.push(`${shape.lossPct}% of packets dropped each way`);
  return parts.join(', ') || 'nothing';
}

/**
 * Hold each queued packet for the delay, then accept it. Speaks nfnetlink's queue protocol itself
 * (Python's standard library only), with meta-data copy mode: the packets never leave the kernel.
 */
const DELAY_PROCESS = String.raw`
import os, random, select, socket, struct, sys, time
queue, delay, jitter = int(sys.argv[1]), float(sys.argv[2]) / 1000, float(sys.argv[3]) / 1000
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETLINK_NETFILTER
s.bind((0, 0))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
seq = 0
def attr(kind, payload):
    n = 4 + len(payload)
    return struct.pack('=HH', n, kind) + payload + b'\0' * ((4 - n % 4) % 4)
def message(kind, flags, body):
    global seq
    seq += 1
    body = struct.pack('=BBH', 0, 0, socket.htons(queue)) + body
    return struct.pack('=IHHII', 16 + len(body), kind, flags, seq, 0) + body
CONFIG, VERDICT = (3 << 8) | 2, (3 << 8) | 1
def configure(body):
    s.send(message(CONFIG, 1 | 4, body))  # NLM_F_REQUEST | NLM_F_ACK
    reply = s.recv(65536)
    kind, error = struct.unpack_from('=H', reply, 4)[0], struct.unpack_from('=i', reply, 16)[0]
    if kind == 2 and error != 0:
        sys.exit('nfqueue %d: %s' % (queue, os.strerror(-error)))
pending, last = [], 0.0
configure(attr(1, struct.pack('!BxH', 1, 0)))            # bind the queue
configure(attr(2, struct.pack('!IB', 0, 1)))             # copy meta-data only
configure(attr(5, struct.pack('!I', 1)) + attr(4, struct.pack('!I', 1)))  # fail open when full
def leave(*_):
    # Let every held packet go before leaving: the queue would drop them.
    for _, packet in pending:
        s.send(message(VERDICT, 1, attr(2, struct.pack('!II', 1, packet))))
    sys.exit(0)
import signal
signal.signal(signal.SIGTERM, leave)
with open(sys.argv[4], 'w') as f:
    f.write(str(os.getpid()))
s.setblocking(False)
while True:
    now = time.monotonic()
    while pending and pending[0][0] <= now:
        s.send(message(VERDICT, 1, attr(2, struct.pack('!II', 1, pending.pop(0)[1]))))
    timeout = max(0.0, pending[0][0] - now) if pending else 1.0
    if not select.select([s], [], [], timeout)[0]:
        continue
    while True:
        try:
            data = s.recv(1 << 20)
        except BlockingIOError:
            break
        except OSError as e:
            # ENOBUFS: the kernel dropped messages for a full socket (fail-open lets those
            # packets through undelayed); the queue goes on.
            if e.errno == 105:
                continue
            raise
        at = 0
        while at + 16 <= len(data):
            size, kind = struct.unpack_from('=IH', data, at)
            if size < 16:
                break
            if kind == (3 << 8):  # a queued packet
                off = at + 20
                while off + 4 <= at + size:
                    alen, akind = struct.unpack_from('=HH', data, off)
                    if alen < 4:
                        break
                    if akind & 0x7fff == 1:
                        due = max(last, time.monotonic() + delay + random.uniform(-jitter, jitter))
                        last = due
                        pending.append((due, struct.unpack_from('!I', data, off + 4)[0]))
                    off += (alen + 3) & ~3
            at += (size + 3) & ~3
`;

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The script that shapes the node's links (replacing any shape before it). `exemptOut` and
 * `exemptIn` are iptables match arguments of traffic left alone, like `-d 10.0.0.1/32`; `only`,
 * when given, the traffic shaped (each match its own rule), the rest left alone.
 */
export function shapeScript(shape: NetworkShape, exempt: { out: string[]; in: string[] }, only?: { out: string[]; in: string[] }): string {
  const outs = only?.out ?? [''];
  const ins = only?.in ?? [''];
  const rule = (chain: string, match: string, action: string) => `iptables -w -A ${chain} ${match ? `${match} ` : ''}${action}`;
  const loss = shape.lossPct ? (shape.lossPct / 100).toFixed(4) : undefined;
  const lines = [
    'set -e',
    unshapeScript(),
    `iptables -w -N ${SHAPE_CHAIN_OUT}`,
    `iptables -w -N ${SHAPE_CHAIN_IN}`,
    `iptables -w -A ${SHAPE_CHAIN_OUT} -o lo -j RETURN`,
    `iptables -w -A ${SHAPE_CHAIN_IN} -i lo -j RETURN`,
    ...exempt.out.map((m) => `iptables -w -A ${SHAPE_CHAIN_OUT} ${m} -j RETURN`),
    ...exempt.in.map((m) => `iptables -w -A ${SHAPE_CHAIN_IN} ${m} -j RETURN`),
    ...(loss
      ? [
          ...outs.map((m) => rule(SHAPE_CHAIN_OUT, m, `-m statistic --mode random --probability ${loss} -j DROP`)),
          ...ins.map((m) => rule(SHAPE_CHAIN_IN, m, `-m statistic --mode random --probability ${loss} -j DROP`)),
        ]
      : []),
  ];
  if (shape.delayMs) {
    lines.push(
      // The delay process first, so the queue has a listener before packets are sent to it.
      `rm -f ${SHAPE_PID_FILE}`,
      `setsid python3 -c ${q(DELAY_PROCESS)} ${SHAPE_QUEUE} ${shape.delayMs} ${shape.jitterMs ?? 0} ${SHAPE_PID_FILE} </dev/null >/run/flipdrill-net-delay.log 2>&1 &`,
      `for _ in $(seq 1 50); do [ -s ${SHAPE_PID_FILE} ] && break; sleep 0.1; done`,
      `[ -s ${SHAPE_PID_FILE} ] || { echo "the delay process did not start: $(cat /run/flipdrill-net-delay.log)" >&2; exit 3; }`,
      ...outs.map((m) => rule(SHAPE_CHAIN_OUT, m, `-j NFQUEUE --queue-num ${SHAPE_QUEUE} --queue-bypass`)),
    );
  }
  lines.push(`iptables -w -I OUTPUT -j ${SHAPE_CHAIN_OUT}`, `iptables -w -I INPUT -j ${SHAPE_CHAIN_IN}`);
  return lines.join('\n');
}

/** Remove every trace of a shape: rules, chains, the delay process. Idempotent. */
export function unshapeScript(): string {
  return [
    ...[
      ['OUTPUT', SHAPE_CHAIN_OUT],
      ['INPUT', SHAPE_CHAIN_IN],
    ].flatMap(([hook, chain]) => [`while iptables -w -D ${hook} -j ${chain} 2>/dev/null; do :; done`, `iptables -w -F ${chain} 2>/dev/null || true`, `iptables -w -X ${chain} 2>/dev/null || true`]),
    `${delayPidScript()}; if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; rm -f ${SHAPE_PID_FILE}`,
  ].join('\n');
}

/**
 * Sets `pid` to the delay process's pid, or to nothing: only if the pid file names a python3
 * whose last argument is the pid file itself. A pid file can outlive its process (a container
 * killed and started again keeps its /run; a machine restarted without a tmpfs there), and the
 * pid it holds may by then be anything, postgres itself: never signal it on the file's word.
 */
export function delayPidScript(file = SHAPE_PID_FILE): string {
  return [
    `pid=$(cat ${q(file)} 2>/dev/null || true)`,
    `case "$pid" in ''|*[!0-9]*) pid= ;; esac`,
    `if [ -n "$pid" ]; then case "$(cat "/proc/$pid/comm" 2>/dev/null)" in python3*) tr '\\0' '\\n' <"/proc/$pid/cmdline" 2>/dev/null | tail -n 1 | grep -qxF ${q(file)} || pid= ;; *) pid= ;; esac; fi`,
  ].join('; ');
}

/** What is left of a shape on the node, as the script's output: empty when nothing. */
export function shapeLeftScript(): string {
  return [
    `iptables -w -S 2>/dev/null | grep -q -e ${SHAPE_CHAIN_OUT} -e ${SHAPE_CHAIN_IN} && echo "firewall rules of a network shape"`,
    `${delayPidScript()}; [ -n "$pid" ] && echo "the delay process"`,
    'true',
  ].join('\n');
}

/**
 * The replication link alone: the node's packets to the other data nodes delayed (the delay
 * process above, its rules only for their addresses) and what it sends on the replication
 * network's interface capped by a token bucket (tc tbf: no netem needed). Replaces any shape.
 */
export interface ReplicationLink {
  /** Added to every packet the node sends to the other data nodes, in milliseconds. */
  delayMs?: number;
  /** What the node sends on the replication network at most, in kbit/s. */
  rateKbit?: number;
}

export function describeReplicationLink(link: ReplicationLink): string {
  const parts: string[] = [];
  if (link.delayMs) parts.push(`${link.delayMs} ms added to every packet it sends the other data nodes`);
  if (link.rateKbit) parts.push(`what it sends on the replication network capped at ${link.rateKbit} kbit/s`);
  return parts.join(', ') || 'nothing';
}

/** The interface holding `address`, into $iface (the script fails without one). */
const interfaceOf = (address: string) =>
  `iface=$(ip -o -4 addr show | awk -v a=${q(address)} '{ split($4, p, "/"); if (p[1] == a) print $2 }' | head -n 1)
[ -n "$iface" ] || { echo "no interface holds ${address}" >&2; exit 3; }`;

export function replicationLinkScript(link: ReplicationLink, replicationAddress: string, peers: readonly string[]): string {
  return [
    'set -e',
    interfaceOf(replicationAddress),
    unreplicationLinkScript(replicationAddress),
    ...(link.delayMs ? [shapeScript({ delayMs: link.delayMs }, { out: [], in: [] }, { out: peers.map((p) => `-d ${p}/32`), in: [] })] : []),
    ...(link.rateKbit ? [`tc qdisc replace dev "$iface" root tbf rate ${link.rateKbit}kbit burst 32kbit latency 2s`] : []),
  ].join('\n');
}

/** Takes a replication link shape away (and any network shape): idempotent. */
export function unreplicationLinkScript(replicationAddress: string): string {
  return [unshapeScript(), interfaceOf(replicationAddress).replace('exit 3', 'exit 0'), 'tc qdisc del dev "$iface" root 2>/dev/null || true'].join('\n');
}

/** What of it is left: the shape's leftovers, and a token bucket on the replication interface. */
export function replicationLinkLeftScript(replicationAddress: string): string {
  return [shapeLeftScript(), interfaceOf(replicationAddress).replace('exit 3', 'exit 0'), 'tc qdisc show dev "$iface" root 2>/dev/null | grep -q tbf && echo "a token bucket on the replication interface"', 'true'].join('\n');
}
