/**
 * The bank workload: `accounts` accounts opened with `balance` each, so the total is fixed.
 * Clients transfer random amounts between random pairs through the app (one managed Sequelize
 * transaction each, SELECT ... FOR UPDATE, the transfer recorded under the id the client chose)
 * and read whole-table snapshots, from a replica and from the primary. The final read takes the
 * primary's balances and every transfer it holds; the checker (check.ts) judges them.
 */
import { randomUUID } from 'node:crypto';
import type { Completion } from '../../op.ts';
import { completionOf, type AppHttp, type OpGenerator, type WorkloadKind } from '../workload.ts';
import { checkBank, type BankSettings, type Snapshot, type Transfer } from './check.ts';

export type { BankSettings } from './check.ts';

export const BANK_DEFAULTS = { accounts: 8, balance: 100, maxAmount: 5 } as const;

/** What a snapshot read saw: the node that answered, and every account's balance. */
async function snapshotThrough(app: AppHttp, prefix: string, source: 'replica' | 'primary'): Promise<Completion> {
  const answer = await app.request('GET', `/accounts?prefix=${encodeURIComponent(prefix)}&source=${source}`);
  if ('error' in answer) return { type: 'fail', value: { source }, error: answer.error };
  if (answer.status !== 200) return { type: 'fail', value: { source }, error: String(answer.body.code ?? `HTTP ${answer.status}`) };
  const { node, replica, balances } = answer.body as unknown as Snapshot;
  return { type: 'ok', value: { source, node, replica, balances } satisfies Snapshot };
}

type TransferRow = { id: string; from_account: string; to_account: string; amount: number; committed_by: string; committed_timeline: number; committed_at_us: string };

export const bank: WorkloadKind<BankSettings> = {
  name: 'bank',
  summary: `transfers between ${BANK_DEFAULTS.accounts} accounts whose total never changes (Sequelize transactions, SELECT ... FOR UPDATE), and snapshots of every balance`,
  mutation: 'transfer',
  fs: ['transfer', 'read'],
  settings: (prefix): BankSettings => ({ name: 'bank', prefix, accounts: BANK_DEFAULTS.accounts, balance: BANK_DEFAULTS.balance }),

  async setup(app, settings) {
    const answer = await app.request('POST', '/accounts', { prefix: settings.prefix, count: settings.accounts, balance: settings.balance });
    if ('error' in answer || answer.status !== 201) {
      const why = 'error' in answer ? answer.error : `${answer.status} ${String(answer.body.error ?? '')}`;
      throw new Error(`the app did not open the bank's accounts: ${why}`);
    }
  },

  generator({ app, settings, shape, random }): OpGenerator {
    const account = (i: number) => `${settings.prefix}a${i}`;
    return {
      next() {
        if (random() < shape.readFraction) {
          // Half from a replica (which may lag, but must never be torn), half from the primary.
          const source = random() < 0.5 ? 'replica' : 'primary';
          return { f: 'read', value: { source }, perform: () => snapshotThrough(app, settings.prefix, source) };
        }
        const from = Math.floor(random() * settings.accounts);
        const to = (from + 1 + Math.floor(random() * (settings.accounts - 1))) % settings.accounts;
        const value: Transfer = { id: randomUUID(), from: account(from), to: account(to), amount: 1 + Math.floor(random() * BANK_DEFAULTS.maxAmount) };
        return { f: 'transfer', value, perform: async () => completionOf(await app.request('POST', '/transfers', value), 201, value) };
      },
    };
  },

  async finalRead({ sql }, settings) {
    const transfers = await sql<TransferRow>(
      `SELECT id::text AS id, from_account, to_account, amount, committed_by, committed_timeline,
              (extract(epoch FROM committed_at) * 1000000)::bigint::text AS committed_at_us
         FROM transfers WHERE starts_with(from_account, $1) ORDER BY committed_at`,
      [settings.prefix],
      'app',
    );
    const accounts = await sql<{ id: string; balance: number }>('SELECT id, balance FROM accounts WHERE starts_with(id, $1) ORDER BY id', [settings.prefix], 'app');
    return {
      rows: transfers.map((t) => ({
        id: t.id,
        from: t.from_account,
        to: t.to_account,
        amount: Number(t.amount),
        committed_by: t.committed_by,
        committed_timeline: t.committed_timeline,
        committed_at_us: Number(t.committed_at_us),
      })),
      state: { balances: Object.fromEntries(accounts.map((a) => [a.id, Number(a.balance)])) },
    };
  },

  check: checkBank,
};

