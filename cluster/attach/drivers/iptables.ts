/**
 * Firewall chains of flipdrill's own, as shell scripts: each fault's rules live in chains named for
 * it, hooked first into INPUT or OUTPUT, so a heal removes them whole and a leftover is found by
 * name. Nothing else of the node's firewall is touched: a rule that lets a packet pass RETURNs to
 * the node's own rules rather than accepting it. Pure: the drivers run these where they act (a
 * container's network namespace, a machine over SSH).
 */
import { shapeLeftScript } from '../../net-shape.ts';
import { ONE_WAY_CHAIN } from '../../target.ts';

export interface Chain {
  readonly name: string;
  readonly hook: 'INPUT' | 'OUTPUT';
  /** Rules as iptables' arguments after `-A <chain>`, in order. */
  readonly rules: readonly string[];
}

export const PARTITION_IN = 'FLIPDRILL-PARTITION-IN';
export const PARTITION_OUT = 'FLIPDRILL-PARTITION-OUT';

/**
 * The partition: every packet in and out dropped but loopback's and the given TCP ports' (SSH, the
 * way in that must outlive the fault): as if the node's cables were pulled.
 */
export function partitionChains(keepTcpPorts: readonly number[] = []): Chain[] {
  return [
    { name: PARTITION_IN, hook: 'INPUT', rules: ['-i lo -j RETURN', ...keepTcpPorts.map((p) => `-p tcp --dport ${p} -j RETURN`), '-j DROP'] },
    { name: PARTITION_OUT, hook: 'OUTPUT', rules: ['-o lo -j RETURN', ...keepTcpPorts.map((p) => `-p tcp --sport ${p} -j RETURN`), '-j DROP'] },
  ];
}

/** The one-way partition: every packet from these addresses dropped as it arrives. */
export function oneWayChains(peers: readonly string[]): Chain[] {
  return [{ name: ONE_WAY_CHAIN, hook: 'INPUT', rules: peers.map((address) => `-s ${address}/32 -j DROP`) }];
}

/** Adds the chains (emptied first if they exist) and hooks each first into its hook, once. */
export function addChainsScript(chains: readonly Chain[]): string {
  return [
    'set -e',
    ...chains.flatMap((c) => [
      `iptables -w -N ${c.name} 2>/dev/null || iptables -w -F ${c.name}`,
      ...c.rules.map((r) => `iptables -w -A ${c.name} ${r}`),
      `iptables -w -C ${c.hook} -j ${c.name} 2>/dev/null || iptables -w -I ${c.hook} -j ${c.name}`,
    ]),
  ].join('\n');
}

/** Unhooks and removes the chains; fails only when one is still there. Idempotent. */
export function removeChainsScript(chains: readonly Pick<Chain, 'name' | 'hook'>[]): string {
  return [
    ...chains.flatMap((c) => [
      `while iptables -w -D ${c.hook} -j ${c.name} 2>/dev/null; do :; done`,
      `iptables -w -F ${c.name} 2>/dev/null || true`,
      `iptables -w -X ${c.name} 2>/dev/null || true`,
    ]),
    chains.map((c) => `! iptables -w -S ${c.name} >/dev/null 2>&1`).join(' && ') || 'true',
  ].join('\n');
}

/** Prints the name of each of the chains that exists, one a line. */
export function chainsLeftScript(names: readonly string[]): string {
  return [...names.map((n) => `iptables -w -S ${n} >/dev/null 2>&1 && echo ${n}`), 'true'].join('\n');
}

/** Every chain a driver may add. */
export const ALL_CHAINS = [PARTITION_IN, PARTITION_OUT, ONE_WAY_CHAIN] as const;

/** Prints a line for anything of flipdrill's still in the network namespace (chains, a shape); nothing when it is clean. */
export function anythingLeftScript(): string {
  return [chainsLeftScript(ALL_CHAINS), shapeLeftScript()].join('\n');
}

/** A script on one line, for a description (`;` between commands, none after a `&`). */
export function oneLine(script: string): string {
  return script
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line, i, all) => (i === all.length - 1 ? line : line.endsWith('&') ? `${line} ` : `${line}; `))
    .join('');
}
