/**
 * A few countries to start from. Fixed ids and ON CONFLICT DO NOTHING: seeding twice changes
 * nothing (sequelize-cli runs every seeder each time unless told to record them). Sequelize's
 * types leave ignoreDuplicates out of bulkInsert's options; its query generator reads it.
 */
import { Op, type QueryInterface, type QueryOptions } from 'sequelize';

export const SEEDED_COUNTRIES = [
  { id: '00000000-5eed-4000-8000-000000000001', name: 'Portugal', is_eu_member: true },
  { id: '00000000-5eed-4000-8000-000000000002', name: 'Norway', is_eu_member: false },
  { id: '00000000-5eed-4000-8000-000000000003', name: 'Estonia', is_eu_member: true },
];

export async function up(queryInterface: QueryInterface): Promise<void> {
  await queryInterface.bulkInsert('countries', SEEDED_COUNTRIES, { ignoreDuplicates: true } as QueryOptions);
}

export async function down(queryInterface: QueryInterface): Promise<void> {
  await queryInterface.bulkDelete('countries', { id: { [Op.in]: SEEDED_COUNTRIES.map((c) => c.id) } });
}
