/**
 * Every workload flipdrill knows, by name: adding one is its own folder and one line here.
 */
import { bank } from './bank/bank.ts';
import { contract } from './contract/contract.ts';
import { set } from './set/set.ts';
import type { WorkloadKind, WorkloadSettings } from './workload.ts';

export const WORKLOADS: Record<string, WorkloadKind> = {
  set,
  bank,
  contract,
};

/** What --workload chooses from (the contract workload comes with --client and --app-image). */
export const WORKLOAD_NAMES = ['set', 'bank'];

/** The workload of that name (the registry's own entries only: no prototype keys). */
export function workloadNamed(name: string): WorkloadKind | undefined {
  return Object.hasOwn(WORKLOADS, name) ? WORKLOADS[name] : undefined;
}

/** The workload a run's settings name (runs from before workloads were plug-ins are set runs). */
export function workloadOf(settings: WorkloadSettings | undefined): { kind: WorkloadKind; settings: WorkloadSettings } {
  const kind = workloadNamed(settings?.name ?? 'set');
  if (!kind) throw new Error(`unknown workload "${settings?.name}" (known: ${WORKLOAD_NAMES.join(', ')})`);
  return { kind, settings: settings ?? set.settings('') };
}
