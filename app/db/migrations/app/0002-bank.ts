/** The bank workload: balances that only move between accounts, and every transfer, stamped. */
import { DataTypes, Op, type QueryInterface } from 'sequelize';
import { stampColumns } from '../../stamps.ts';

export async function up(queryInterface: QueryInterface): Promise<void> {
  await queryInterface.createTable('accounts', {
    id: { type: DataTypes.STRING(200), primaryKey: true },
    balance: { type: DataTypes.INTEGER, allowNull: false },
  });
  await queryInterface.addConstraint('accounts', { type: 'check', name: 'accounts_balance_not_negative', fields: ['balance'], where: { balance: { [Op.gte]: 0 } } });
  await queryInterface.createTable('transfers', {
    id: { type: DataTypes.UUID, primaryKey: true },
    from_account: { type: DataTypes.STRING(200), allowNull: false },
    to_account: { type: DataTypes.STRING(200), allowNull: false },
    amount: { type: DataTypes.INTEGER, allowNull: false },
    ...stampColumns(queryInterface.sequelize),
  });
}

export async function down(queryInterface: QueryInterface): Promise<void> {
  await queryInterface.dropTable('transfers');
  await queryInterface.dropTable('accounts');
}
