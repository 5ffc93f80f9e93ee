/**
 * The fault registry: every fault kind flipdrill has, one module each. Adding a kind is its module
 * and one line in FAULTS; scenario validation, --faults, the drill's refusals and cluster options,
 * the docs' fault table and the library's functions all come from this list.
 */
import { capabilityLeftovers, ConfigError, type CapabilityName, type NodeFaults } from '../../cluster/index.ts';
import clockSkew from './clock-skew.ts';
import diskFull from './disk-full.ts';
import dns from './dns.ts';
import flapping from './flapping.ts';
import freeze from './freeze.ts';
import halfOpen from './half-open.ts';
import ioError from './io-error.ts';
import ioStall from './io-stall.ts';
import isolateWitness from './isolate-witness.ts';
import kill from './kill.ts';
import lagThenKill from './lag-then-kill.ts';
import latency from './latency.ts';
import loss from './loss.ts';
import partitionOneWay from './partition-one-way.ts';
import partition from './partition.ts';
import postmasterCrash from './postmaster-crash.ts';
import powerLoss from './power-loss.ts';
import replicationBandwidth from './replication-bandwidth.ts';
import replicationLatency from './replication-latency.ts';
import repmgrdCrash from './repmgrd-crash.ts';
import restart from './restart.ts';
import slowDisk from './slow-disk.ts';
import stop from './stop.ts';
import switchover from './switchover.ts';
import tcpReset from './tcp-reset.ts';
import { ROLES, type FaultKind, type FaultSpec, type FaultTargets, type Nemesis, type OptionSpec, type Role } from './types.ts';

export { ROLES, type FaultKind, type FaultSpec, type FaultTargets, type InjectedFault, type Nemesis, type Role, type ScheduleEntry } from './types.ts';

/** Every fault kind, in the order the docs and the help list them. */
export const FAULTS: readonly FaultKind[] = [kill, stop, freeze, partition, partitionOneWay, lagThenKill, switchover, restart, postmasterCrash, latency, loss, repmgrdCrash, flapping, dns, diskFull, clockSkew, isolateWitness, ioStall, ioError, slowDisk, powerLoss, tcpReset, halfOpen, replicationLatency, replicationBandwidth];

export const FAULT_TYPES: readonly string[] = FAULTS.map((f) => f.kind);
export type FaultType = string;

const BY_KIND = new Map(FAULTS.map((f) => [f.kind, f]));

/** The kind of that name (undefined: no such kind). */
export function faultKind(kind: string): FaultKind | undefined {
  return BY_KIND.get(kind);
}

function kindOf(kind: string): FaultKind {
  const found = BY_KIND.get(kind);
  if (!found) throw new ConfigError(`unknown fault kind "${kind}"`, { hint: `known: ${FAULT_TYPES.join(', ')}` });
  return found;
}

function optionProblem(key: string, option: OptionSpec, value: unknown): string | undefined {
  switch (option.type) {
    case 'number':
      if (option.nonZero) {
        if (typeof value !== 'number' || !Number.isFinite(value) || value === 0 || Math.abs(value) > option.max) return `fault.${key} must be a number of seconds, not 0, at most ${option.max} either way`;
        return undefined;
      }
      if (typeof value !== 'number' || !Number.isFinite(value) || value < option.min || value > option.max) return `fault.${key} must be a number from ${option.min} to ${option.max}`;
      return undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `fault.${key} must be true or false`;
    case 'string':
      return typeof value === 'string' && option.pattern.test(value) ? undefined : `fault.${key} must be like ${option.like}`;
  }
}

/** Who may take an option: "kill", "repmgrd-crash and clock-skew", "a freeze of the primary". */
function takers(key: string): string {
  const kinds = FAULTS.filter((f) => key in f.options);
  return kinds.map((f) => (f.options[key]!.roles ? `a ${f.kind} of the ${f.options[key]!.roles!.join(' or ')}` : f.kind)).join(' and ');
}

function wrongPlace(key: string): string {
  const kinds = FAULTS.filter((f) => key in f.options);
  if (kinds.length === 0) return `unknown key "fault.${key}"`;
  const type = kinds[0]!.options[key]!.type;
  const how = type === 'boolean' ? ', and is true or false' : type === 'string' ? `, and is like ${(kinds[0]!.options[key] as { like: string }).like}` : '';
  return `fault.${key} is for ${takers(key)} only${how}`;
}

/**
 * A fault as a scenario file states it, validated by its kind's module, with the kind's defaults
 * filled in. `fail` throws with one line.
 */
export function parseFault(raw: Record<string, unknown>, fail: (message: string) => never): FaultSpec {
  if (!BY_KIND.has(raw.type as string)) fail(`fault.type must be one of ${FAULT_TYPES.join(', ')}, not ${JSON.stringify(raw.type)}`);
  const kind = BY_KIND.get(raw.type as string)!;
  if (!ROLES.includes(raw.target as Role)) fail(`fault.target must be one of ${ROLES.join(', ')}, not ${JSON.stringify(raw.target)}`);
  const target = raw.target as Role;
  if (!kind.roles.includes(target)) {
    if (target === 'app') fail(`fault.target app is for the ${FAULTS.filter((f) => f.roles.includes('app')).map((f) => f.kind).join(', ')} fault only; a ${kind.kind} hits a node`);
    fail(`fault.target of ${kind.kind} must be ${kind.roles.join(' or ')}${kind.rolesBecause ? ` (${kind.rolesBecause})` : ''}`);
  }
  const spec: FaultSpec = { type: kind.kind, target };
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'type' || key === 'target') continue;
    const option = kind.options[key];
    if (!option || (option.roles && !option.roles.includes(target))) fail(wrongPlace(key));
    const problem = optionProblem(key, option, value);
    if (problem) fail(option.type === 'number' ? problem : wrongPlace(key));
  }
  for (const [key, option] of Object.entries(kind.options)) {
    const value = raw[key] ?? option.default;
    if (value === undefined) continue;
    spec[key] = option.type === 'number' && option.integer ? Math.round(value as number) : value;
  }
  kind.validate?.(spec as never, fail);
  return spec;
}

/** A spec's options with its kind's defaults for whatever it leaves out (specs built in code state few). */
function withDefaults(spec: FaultSpec, kind: FaultKind): Record<string, unknown> & { target: Role } {
  const options: Record<string, unknown> = {};
  for (const [key, option] of Object.entries(kind.options)) options[key] = spec[key] ?? option.default;
  return { ...options, target: spec.target };
}

/** The nemesis of one fault as a scenario states it. */
export function nemesisForFault(spec: FaultSpec): Nemesis {
  const kind = kindOf(spec.type);
  return kind.nemesis(withDefaults(spec, kind) as never) as Nemesis;
}

/** Exactly what a fault will run on these targets, said before it runs (a dry run). */
export function describeFault(spec: FaultSpec, targets: FaultTargets): string {
  const kind = kindOf(spec.type);
  const options = withDefaults(spec, kind);
  return kind.describe ? kind.describe(targets as never, options as never) : `${kind.summary} (${targets.node})`;
}

/** The kinds a random schedule may draw, in registry order. */
export const SCHEDULE_FAULTS: readonly string[] = FAULTS.filter((f) => f.schedule).map((f) => f.kind);

/** A spec of the kind a schedule draws for this target. */
export function scheduledSpec(kind: string, target: Role): FaultSpec {
  const k = kindOf(kind);
  const { target: _, ...defaults } = withDefaults({ type: k.kind, target }, k);
  const stated = Object.fromEntries(Object.entries(defaults).filter(([, v]) => v !== undefined));
  return { type: k.kind, target, ...stated, ...(k.schedule?.options?.(target) ?? {}) };
}

/** What a cluster the drill creates must have for these kinds. */
export function clusterNeeds(kinds: readonly string[]): { dataFs: boolean; faultFs: boolean; fakeClock: boolean } {
  const all = kinds.map(kindOf);
  return { dataFs: all.some((k) => k.cluster?.dataFs), faultFs: all.some((k) => k.cluster?.faultFs), fakeClock: all.some((k) => k.cluster?.fakeClock) };
}

/**
 * Why a target cannot take these kinds, in one line (undefined: it can): the first kind that needs
 * a capability the target lacks. `has` is the target's capabilities (or a target kind's, known
 * before connecting); `where` names the scenario and `driver` the target, for people.
 */
export function refusal(kinds: readonly string[], has: readonly CapabilityName[], driver: string, where?: string): string | undefined {
  for (const name of new Set(kinds)) {
    const missing = kindOf(name).needs.filter((c) => !has.includes(c));
    if (missing.length) return `${where ? `${where}: ` : ''}the ${name} fault needs the ${missing.join(' and ')} capability, which ${driver} does not have`;
  }
  return undefined;
}

/** What any fault left on these nodes: every capability's leftovers, and those of faults that act through the core. */
export async function faultsLeft(cluster: NodeFaults, nodes: readonly string[]): Promise<string[]> {
  const own = await Promise.all(FAULTS.map((f) => f.leftovers?.(cluster, nodes) ?? Promise.resolve([])));
  return [...(await capabilityLeftovers(cluster, nodes)), ...own.flat()];
}

/** The library's function name of a kind (`partition-one-way` → `partitionOneWay`). */
export function libraryName(kind: FaultKind): string {
  return kind.libraryName ?? kind.kind.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** One option as the docs show it: `delayMs` (1 to 30000, default 100). */
function describeOption(key: string, option: OptionSpec): string {
  const range = option.type === 'number' ? `${option.min} to ${option.max}${option.nonZero ? ', not 0' : ''}` : option.type === 'boolean' ? 'true or false' : `like ${option.like}`;
  const fallback = option.default === undefined ? '' : `, default ${String(option.default)}`;
  return `\`${key}\` (${range}${fallback}${option.roles ? `; ${option.roles.join(' or ')} only` : ''}): ${option.doc}`;
}

/** The docs' fault table (docs/reference/scenarios.md), one row per kind. */
export function faultTable(): string {
  const rows = FAULTS.map((f) => {
    const options = Object.entries(f.options).map(([k, o]) => describeOption(k, o)).join('; ') || 'none';
    const needs = f.needs.length ? f.needs.join(', ') : 'core';
    return `| \`${f.kind}\` | ${f.summary} | ${f.roles.join(', ')} | ${needs} | ${options} | ${f.schedule ? 'yes' : 'no'} |`;
  });
  return ['| kind | what it does | targets | needs | options | random schedules |', '| --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}
