/** The tutorial's countries. The client chooses the id (a UUID), so an unknown outcome can be checked and a retry detected. */
import { DataTypes, type QueryInterface } from 'sequelize';
import { stampColumns } from '../../stamps.ts';

export async function up(queryInterface: QueryInterface): Promise<void> {
  await queryInterface.createTable('countries', {
    id: { type: DataTypes.UUID, primaryKey: true },
    name: { type: DataTypes.STRING(200), allowNull: false },
    is_eu_member: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    ...stampColumns(queryInterface.sequelize),
  });
}

export async function down(queryInterface: QueryInterface): Promise<void> {
  await queryInterface.dropTable('countries');
}
