/**
 * The bank: accounts with balances that only ever move between each other, so their total never
 * changes. A transfer is one managed Sequelize transaction: both accounts locked with
 * SELECT ... FOR UPDATE by primary key (in key order, so two transfers never deadlock), the
 * balances moved, and the transfer itself recorded under the id the client chose. That record is
 * what makes a retry safe: an attempt whose outcome is unknown is looked up by its id before the
 * money moves again, so a transfer is applied at most once however often it is retried.
 *
 * A snapshot is one statement (one MVCC snapshot, on a replica too): it may be stale, never torn.
 */
import { DataTypes, Model, QueryTypes, type ModelStatic, type Sequelize, type Transaction } from 'sequelize';
import { nodeNameSql, type NodeNames } from './db/stamps.ts';

export interface TransferInput {
  id: string;
  from: string;
  to: string;
  amount: number;
}

/** A committed transfer, with the database's stamps (as every written row has). */
export interface TransferRow extends TransferInput {
  committed_by: string;
  committed_timeline: number;
  committed_at: string;
}

export interface Snapshot {
  /** The node that answered (cluster_name, or its name in node_names), and whether it was a replica. */
  node: string;
  replica: boolean;
  balances: Record<string, number>;
}

/** A transfer refused before anything was written: surely not applied. */
export class TransferRefused extends Error {
  constructor(
    readonly code: 'INSUFFICIENT_FUNDS' | 'NO_SUCH_ACCOUNT' | 'TRANSFER_ID_REUSED',
    message: string,
  ) {
    super(message);
    this.name = 'TransferRefused';
  }
}

export interface Bank {
  /** Open `count` accounts named `<prefix>a0`… with `balance` each; accounts that exist are left alone. */
  open(prefix: string, count: number, balance: number): Promise<Snapshot>;
  transfer(input: TransferInput, session?: string): Promise<TransferRow>;
  snapshot(prefix: string, source: 'primary' | 'replica'): Promise<Snapshot>;
}

/** How the data layer runs work: whole units of work that may be retried, and reads with a fallback. */
export interface BankRunner {
  write<T>(what: string, work: (attempt: { earlierOutcomeUnknown: boolean }) => Promise<T>): Promise<T>;
  read<T>(what: string, work: (useMaster: boolean) => Promise<T>): Promise<T>;
  noteWrite?(session: string | undefined): Promise<void> | void;
}

type Row = Model & Record<string, unknown>;

export function defineBankModels(sequelize: Sequelize, stamps: Record<string, unknown>): { Account: ModelStatic<Row>; Transfer: ModelStatic<Row> } {
  const Account = class extends Model {};
  Account.init(
    { id: { type: DataTypes.STRING(200), primaryKey: true }, balance: { type: DataTypes.INTEGER, allowNull: false } },
    { sequelize, modelName: 'Account', tableName: 'accounts', timestamps: false },
  );
  const Transfer = class extends Model {};
  Transfer.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true },
      from_account: { type: DataTypes.STRING(200), allowNull: false },
      to_account: { type: DataTypes.STRING(200), allowNull: false },
      amount: { type: DataTypes.INTEGER, allowNull: false },
      ...stamps,
    },
    { sequelize, modelName: 'Transfer', tableName: 'transfers', timestamps: false },
  );
  return { Account: Account as ModelStatic<Row>, Transfer: Transfer as ModelStatic<Row> };
}

/** `nodeSql` names the node that answers, as the stamps do (app/db/stamps.ts). */
const snapshotSql = (nodeSql: string) => `SELECT ${nodeSql} AS node, pg_is_in_recovery() AS replica,
       coalesce(json_object_agg(id, balance), '{}') AS balances
  FROM accounts WHERE starts_with(id, :prefix)`;

function rowOf(t: Row): TransferRow {
  return {
    id: String(t.get('id')),
    from: String(t.get('from_account')),
    to: String(t.get('to_account')),
    amount: Number(t.get('amount')),
    committed_by: String(t.get('committed_by')),
    committed_timeline: Number(t.get('committed_timeline')),
    committed_at: new Date(t.get('committed_at') as string).toISOString(),
  };
}

/** `nodeNames`: how a snapshot names the node that answered, as the transfers' stamps (DB_NODE_NAMES). */
export function createBank(sequelize: Sequelize, models: ReturnType<typeof defineBankModels>, runner: BankRunner, nodeNames?: NodeNames): Bank {
  const { Account, Transfer } = models;
  const SNAPSHOT_SQL = snapshotSql(nodeNameSql(nodeNames));

  const snapshotOn = async (prefix: string, useMaster: boolean): Promise<Snapshot> => {
    const [row] = await sequelize.query<{ node: string; replica: boolean; balances: Record<string, number> }>(SNAPSHOT_SQL, {
      type: QueryTypes.SELECT,
      replacements: { prefix },
      useMaster,
    });
    return { node: row?.node ?? '?', replica: Boolean(row?.replica), balances: row?.balances ?? {} };
  };

  /** One attempt: returns the transfer, or why it was refused (nothing written, the transaction ends clean). */
  const attempt = (input: TransferInput, earlierOutcomeUnknown: boolean) =>
    sequelize.transaction(async (transaction: Transaction): Promise<Row | TransferRefused> => {
      if (earlierOutcomeUnknown) {
        const done = await Transfer.findByPk(input.id, { transaction });
        if (done) {
          const same = done.get('from_account') === input.from && done.get('to_account') === input.to && Number(done.get('amount')) === input.amount;
          return same ? done : new TransferRefused('TRANSFER_ID_REUSED', `transfer ${input.id} exists with other accounts or amount`);
        }
      }
      // One lock per account, by its primary key (the only lock Aurora DSQL takes), in key order.
      const locked = new Map<string, Row | null>();
      for (const id of [input.from, input.to].sort()) locked.set(id, await Account.findByPk(id, { lock: transaction.LOCK.UPDATE, transaction }));
      const from = locked.get(input.from);
      const to = locked.get(input.to);
      if (!from || !to) return new TransferRefused('NO_SUCH_ACCOUNT', `no account ${!from ? input.from : input.to}`);
      if (Number(from.get('balance')) < input.amount) return new TransferRefused('INSUFFICIENT_FUNDS', `${input.from} has ${String(from.get('balance'))}, less than ${input.amount}`);
      await from.update({ balance: Number(from.get('balance')) - input.amount }, { transaction });
      await to.update({ balance: Number(to.get('balance')) + input.amount }, { transaction });
      return Transfer.create({ id: input.id, from_account: input.from, to_account: input.to, amount: input.amount }, { transaction });
    });

  return {
    async open(prefix, count, balance) {
      const rows = Array.from({ length: count }, (_, i) => ({ id: `${prefix}a${i}`, balance }));
      await runner.write('open accounts', () => Account.bulkCreate(rows, { ignoreDuplicates: true }));
      return runner.write('snapshot accounts', () => snapshotOn(prefix, true));
    },
    async transfer(input, session) {
      const done = await runner.write('transfer', ({ earlierOutcomeUnknown }) => attempt(input, earlierOutcomeUnknown));
      if (done instanceof TransferRefused) throw done;
      await runner.noteWrite?.(session);
      return rowOf(done);
    },
    snapshot(prefix, source) {
      return source === 'primary' ? runner.write('snapshot accounts', () => snapshotOn(prefix, true)) : runner.read('snapshot accounts', (useMaster) => snapshotOn(prefix, useMaster));
    },
  };
}
