/** The first analytics event. Fixed id and ON CONFLICT DO NOTHING: seeding twice changes nothing. */
import { Op, type QueryInterface, type QueryOptions } from 'sequelize';

export const SEEDED_EVENTS = [{ id: '00000000-5eed-4000-8000-0000000000e1', name: 'seeded' }];

export async function up(queryInterface: QueryInterface): Promise<void> {
  await queryInterface.bulkInsert('events', SEEDED_EVENTS, { ignoreDuplicates: true } as QueryOptions);
}

export async function down(queryInterface: QueryInterface): Promise<void> {
  await queryInterface.bulkDelete('events', { id: { [Op.in]: SEEDED_EVENTS.map((e) => e.id) } });
}
