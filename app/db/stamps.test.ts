import pg from 'pg';
import { DataTypes, Model, Sequelize, Utils } from 'sequelize';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeNameSql, stampColumns } from './stamps.ts';

// Never connects: the literals and the generated SQL are all that is looked at.
const sequelize = new Sequelize('flipdrill', 'u', 'p', { dialect: 'postgres', dialectModule: pg, host: '127.0.0.1', port: 1, logging: false });
afterAll(() => sequelize.close());

const committedBy = (stamps: ReturnType<typeof stampColumns>) => {
  const literal = stamps.committed_by.defaultValue;
  expect(literal).toBeInstanceOf(Utils.Literal);
  return (literal as unknown as { val: string }).val;
};

describe('the committed_by stamp', () => {
  it('is cluster_name by default and with DB_NODE_NAMES=cluster_name', () => {
    expect(committedBy(stampColumns(sequelize))).toBe("current_setting('cluster_name')");
    expect(committedBy(stampColumns(sequelize, 'cluster_name'))).toBe("current_setting('cluster_name')");
  });

  it('with DB_NODE_NAMES=table is the server\'s name in node_names, unqualified, else its cluster_name', () => {
    const expected = "coalesce((SELECT name FROM node_names WHERE address = host(inet_server_addr()) || ':' || inet_server_port()), current_setting('cluster_name'))";
    expect(nodeNameSql('table')).toBe(expected);
    expect(committedBy(stampColumns(sequelize, 'table'))).toBe(expected);
    // The other stamps do not change.
    const { committed_by: _a, ...others } = stampColumns(sequelize, 'table');
    const { committed_by: _b, ...before } = stampColumns(sequelize);
    expect(others).toEqual(before);
  });

  it('is what a model built on it sends in its INSERT', () => {
    const M = class extends Model {};
    M.init({ id: { type: DataTypes.UUID, primaryKey: true }, ...stampColumns(sequelize, 'table') }, { sequelize, tableName: 'countries', timestamps: false });
    const row = M.build({ id: '3b7e6f7e-3333-4333-8333-333333333333' });
    const generator = (sequelize.getQueryInterface() as unknown as { queryGenerator: { insertQuery(t: unknown, v: unknown, a: unknown): { query: string } } }).queryGenerator;
    const { query } = generator.insertQuery(M.getTableName(), row.get(), M.getAttributes());
    expect(query).toContain("coalesce((SELECT name FROM node_names WHERE address = host(inet_server_addr()) || ':' || inet_server_port()), current_setting('cluster_name'))");
    expect(query).toContain('INSERT INTO "countries"');
  });
});
