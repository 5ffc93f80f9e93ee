/** The analytics database: events, written next to the countries, in another database. */
import { DataTypes, type QueryInterface } from 'sequelize';
import { stampColumns } from '../../stamps.ts';

export async function up(queryInterface: QueryInterface): Promise<void> {
  await queryInterface.createTable('events', {
    id: { type: DataTypes.UUID, primaryKey: true },
    name: { type: DataTypes.STRING(200), allowNull: false },
    ...stampColumns(queryInterface.sequelize),
  });
}

export async function down(queryInterface: QueryInterface): Promise<void> {
  await queryInterface.dropTable('events');
}
