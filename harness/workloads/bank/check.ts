/**
 * The bank's checker, pure (its tests are literal histories). The checker's own set algebra
 * already judges the transfers as writes: an acknowledged transfer missing from the primary is
 * lost, one answered "failed" and present contradicts its answer, one present twice is a
 * duplicate. This adds what only balances can say:
 *   bank-snapshots-whole       every snapshot (from a replica too: stale is fine, torn is not) has
 *                              every account and the fixed total
 *   bank-no-negative-balance   no balance below zero, in any snapshot or at the end
 *   bank-final-balances        the final balances are the opening ones plus exactly the transfers
 *                              the primary holds: each applied once, and nothing else moved money
 */
import type { Check, Completed, FinalRead, WorkloadVerdict } from '../../checker/types.ts';
import type { WorkloadSettings } from '../workload.ts';

export interface BankSettings extends WorkloadSettings {
  name: 'bank';
  /** How many accounts, and what each held when opened. */
  accounts: number;
  balance: number;
}

export interface Transfer {
  id: string;
  from: string;
  to: string;
  amount: number;
}

export interface Snapshot {
  source?: 'replica' | 'primary';
  node: string;
  replica: boolean;
  balances: Record<string, number>;
}

const nsToMs = (ns: number) => Math.round(ns / 1e4) / 100;

/** At most five, then a count of the rest. */
function few<T>(items: readonly T[], line: (item: T) => string): string {
  const shown = items.slice(0, 5).map(line).join('; ');
  return items.length > 5 ? `${shown}; and ${items.length - 5} more` : shown;
}

function accountIds(settings: BankSettings): string[] {
  return Array.from({ length: settings.accounts }, (_, i) => `${settings.prefix}a${i}`);
}

export function checkBank(pairs: readonly Completed[], finalRead: FinalRead | null, settings: BankSettings): WorkloadVerdict {
  const ids = accountIds(settings);
  const total = settings.accounts * settings.balance;
  const sum = (balances: Record<string, number>) => ids.reduce((s, id) => s + (balances[id] ?? 0), 0);
  const short = (id: string) => (id.startsWith(settings.prefix) ? id.slice(settings.prefix.length) : id);

  const snapshots = pairs
    .filter((p) => p.invoke.f === 'read' && p.completion?.type === 'ok')
    .map((p) => ({ atMs: nsToMs(p.completion!.time), ...(p.completion!.value as Snapshot) }));
  const torn = snapshots
    .filter((s) => ids.some((id) => typeof s.balances?.[id] !== 'number') || sum(s.balances) !== total)
    .map((s) => ({ atMs: s.atMs, node: s.node, replica: s.replica, accounts: ids.filter((id) => typeof s.balances?.[id] === 'number').length, total: sum(s.balances ?? {}) }));

  const finalBalances = (finalRead?.state as { balances?: Record<string, number> } | undefined)?.balances ?? null;
  const negative = [
    ...snapshots.flatMap((s) => ids.filter((id) => (s.balances?.[id] ?? 0) < 0).map((id) => ({ account: short(id), balance: s.balances[id]!, atMs: s.atMs as number | null, node: s.node }))),
    ...(finalBalances ? ids.filter((id) => (finalBalances[id] ?? 0) < 0).map((id) => ({ account: short(id), balance: finalBalances[id]!, atMs: null, node: finalRead!.node })) : []),
  ];

  // The final balances implied by the transfers the primary holds.
  const applied = (finalRead?.rows ?? []) as unknown as (Transfer & { committed_by?: string })[];
  const expected = new Map(ids.map((id) => [id, settings.balance]));
  for (const t of applied) {
    if (expected.has(t.from)) expected.set(t.from, expected.get(t.from)! - t.amount);
    if (expected.has(t.to)) expected.set(t.to, expected.get(t.to)! + t.amount);
  }
  const mismatched = finalBalances ? ids.filter((id) => finalBalances[id] !== expected.get(id)).map((id) => ({ account: short(id), expected: expected.get(id)!, found: finalBalances[id] ?? null })) : [];

  // Acknowledged transfers the primary does not hold: the lost ones, with what they moved.
  const present = new Set(applied.map((t) => t.id));
  const lost = finalRead
    ? pairs
        .filter((p) => p.invoke.f === 'transfer' && p.completion?.type === 'ok' && !present.has((p.invoke.value as Transfer).id))
        .map((p) => {
          const t = p.invoke.value as Transfer;
          const stamps = p.completion!.value as { committed_by?: string; committed_timeline?: number };
          return { id: t.id, from: short(t.from), to: short(t.to), amount: t.amount, committedBy: stamps.committed_by ?? null, committedTimeline: stamps.committed_timeline ?? null };
        })
    : [];

  const fromReplicas = snapshots.filter((s) => s.replica).length;
  const checks: Check[] = [
    {
      id: 'bank-snapshots-whole',
      name: `every snapshot shows all ${settings.accounts} accounts holding ${total} in total`,
      ok: snapshots.length > 0 && torn.length === 0,
      detail:
        snapshots.length === 0
          ? 'no snapshot was read'
          : torn.length
            ? `${torn.length} of ${snapshots.length} snapshots torn: ${few(torn, (t) => `at ${t.atMs} ms from ${t.node}${t.replica ? ' (replica)' : ''}: ${t.total} over ${t.accounts} accounts`)}`
            : `${snapshots.length} snapshots whole (${fromReplicas} from replicas)`,
      properties: { total, snapshots: snapshots.length, torn: torn.length },
    },
    {
      id: 'bank-no-negative-balance',
      name: 'no balance below zero',
      ok: negative.length === 0,
      detail: negative.length ? few(negative, (n) => `${n.account} at ${n.balance} (${n.atMs === null ? `at the end, on ${n.node}` : `${n.atMs} ms, from ${n.node}`})`) : 'none',
    },
    {
      id: 'bank-final-balances',
      name: 'the final balances are the opening ones plus exactly the transfers applied',
      ok: finalBalances !== null && mismatched.length === 0,
      detail: !finalBalances
        ? 'no final read: the balances were never read back'
        : mismatched.length
          ? `${mismatched.length} accounts differ: ${few(mismatched, (m) => `${m.account} holds ${m.found ?? 'nothing'}, the transfers say ${m.expected}`)}`
          : `${applied.length} transfers applied; every balance matches; ${sum(finalBalances)} in total on ${finalRead!.node}`,
      properties: { applied: applied.length, mismatched: mismatched.length },
    },
  ];

  // The lost transfers are listed with the lost writes (the summary's "lost"); what they moved is in report.json.
  const lines = [
    `bank             ${settings.accounts} accounts, ${total} in total; ${applied.length} transfers applied on ${finalRead?.node ?? 'no primary'}; ${snapshots.length} snapshots (${fromReplicas} from replicas), ${torn.length} torn${lost.length ? `; ${lost.length} acknowledged transfers lost, moving ${lost.reduce((n, t) => n + t.amount, 0)} in all` : ''}`,
  ];
  return {
    checks,
    details: { accounts: settings.accounts, total, applied: applied.length, snapshots: snapshots.length, fromReplicas, torn, negative, mismatched, lostTransfers: lost },
    lines,
  };
}
