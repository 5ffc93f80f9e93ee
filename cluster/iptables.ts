/**
 * Firewall chains of flipdrill's own, as shell scripts: each fault's rules live in chains named for
 * it, hooked first into INPUT or OUTPUT, so a heal removes them whole and a leftover is found by
 * name. Nothing else of the node's firewall is touched: a rule that lets a packet pass RETURNs to
 * the node's own rules rather than accepting it. Pure: the drivers run these where they act (a
 * container's network namespace, a machine over SSH).
 */
import { randomInt } from 'node:crypto';
import { shapeLeftScript } from './net-shape.ts';
import { ONE_WAY_CHAIN } from './target.ts';

export interface Chain {
  readonly name: string;
  readonly hook: 'INPUT' | 'OUTPUT';
  /** Its table (default filter): mangle for rules that mark, before filter's rules look. */
  readonly table?: 'mangle';
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

/** `iptables -w`, with the chain's table when it is not filter. */
const ipt = (c: Pick<Chain, 'table'>) => (c.table ? `iptables -w -t ${c.table}` : 'iptables -w');

/** Adds the chains (emptied first if they exist) and hooks each first into its hook, once. */
export function addChainsScript(chains: readonly Chain[]): string {
  return [
    'set -e',
    ...chains.flatMap((c) => [
      `${ipt(c)} -N ${c.name} 2>/dev/null || ${ipt(c)} -F ${c.name}`,
      ...c.rules.map((r) => `${ipt(c)} -A ${c.name} ${r}`),
      `${ipt(c)} -C ${c.hook} -j ${c.name} 2>/dev/null || ${ipt(c)} -I ${c.hook} -j ${c.name}`,
    ]),
  ].join('\n');
}

/** Unhooks and removes the chains; fails only when one is still there. Idempotent. */
export function removeChainsScript(chains: readonly Pick<Chain, 'name' | 'hook' | 'table'>[]): string {
  return [
    ...chains.flatMap((c) => [
      `while ${ipt(c)} -D ${c.hook} -j ${c.name} 2>/dev/null; do :; done`,
      `${ipt(c)} -F ${c.name} 2>/dev/null || true`,
      `${ipt(c)} -X ${c.name} 2>/dev/null || true`,
    ]),
    chains.map((c) => `! ${ipt(c)} -S ${c.name} >/dev/null 2>&1`).join(' && ') || 'true',
  ].join('\n');
}

/** Prints the name of each of the chains that exists, one a line. */
export function chainsLeftScript(chains: readonly (string | Pick<Chain, 'name' | 'table'>)[]): string {
  const all = chains.map((c) => (typeof c === 'string' ? { name: c } : c));
  return [...all.map((c) => `${ipt(c)} -S ${c.name} >/dev/null 2>&1 && echo ${c.name}`), 'true'].join('\n');
}

export const CONN_MARK_CHAIN = 'FLIPDRILL-CONN-NEW';
export const CONN_IN = 'FLIPDRILL-CONN-IN';
export const CONN_OUT = 'FLIPDRILL-CONN-OUT';
/**
 * The connection faults: every connection open to the database's TCP port when they come is broken
 * (reset: a TCP RST to each of its packets that arrives; half-open: its packets dropped both
 * ways), and those opened after are left alone. Connection tracking tells them apart: the mangle
 * chain marks each connection whose first packet (SYN) arrives from then on, and the filter chains
 * break the packets of connections without the mark. Loopback is left alone.
 */
export function connectionChains(port: number, how: 'reset' | 'half-open', mark = freshMark()): Chain[] {
  const unmarked = `-m connmark ! --mark ${mark}`;
  return [
    { name: CONN_MARK_CHAIN, hook: 'INPUT', table: 'mangle', rules: [`-p tcp --dport ${port} -m conntrack --ctstate NEW -j CONNMARK --set-mark ${mark}`] },
    { name: CONN_IN, hook: 'INPUT', rules: ['-i lo -j RETURN', `-p tcp --dport ${port} ${unmarked} ${how === 'reset' ? '-j REJECT --reject-with tcp-reset' : '-j DROP'}`] },
    { name: CONN_OUT, hook: 'OUTPUT', rules: ['-o lo -j RETURN', ...(how === 'half-open' ? [`-p tcp --sport ${port} ${unmarked} -j DROP`] : [])] },
  ];
}
/**
 * A mark of its own for each connection fault: a connection opened during an earlier one keeps that
 * one's mark in connection tracking after its rules are gone, and must count as open at this one.
 */
export function freshMark(): string {
  return `0x${randomInt(1, 2 ** 24).toString(16)}`;
}
/** The connection faults' chains, to remove or look for (the rules do not matter there). */
export const CONNECTION_CHAINS = connectionChains(0, 'half-open', '0x1').map(({ name, hook, table }) => ({ name, hook, table }));

/** Every chain a driver may add. */
export const ALL_CHAINS = [PARTITION_IN, PARTITION_OUT, ONE_WAY_CHAIN, ...CONNECTION_CHAINS] as const;

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
