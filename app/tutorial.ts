/**
 * The tutorial this project grows out of (shared/seeds/002, "Connecting Sequelize to a PostgreSQL
 * cluster"), as functions `flipdrill tutorial` runs one step at a time against the local cluster
 * and shows (their source is what the reader sees). The Sequelize configuration is the tutorial's
 * (createTutorialSequelize); only the hosts and credentials are the local cluster's.
 */
import { DataTypes, QueryTypes, type ModelStatic, type Model, type Sequelize } from 'sequelize';
import { createTutorialSequelize } from './failover/naive.ts';

export { createTutorialSequelize };

export type CountryModel = ModelStatic<Model>;

// model
export function defineCountry(sequelize: Sequelize): CountryModel {
  return sequelize.define(
    'Country',
    {
      country_id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      name: DataTypes.STRING,
      is_eu_member: DataTypes.BOOLEAN,
    },
    { timestamps: false },
  );
}

// connect to DB
export async function connect(sequelize: Sequelize): Promise<string> {
  await sequelize.authenticate();
  return 'Connection has been established successfully.';
}

export async function createTable(sequelize: Sequelize): Promise<string> {
  await sequelize.sync({ force: true });
  return 'create table countries';
}

// insert country
export async function insertCountry(Country: CountryModel, name: string, isEuMember: boolean): Promise<string> {
  const country = await Country.create({ name, is_eu_member: isEuMember });
  return `${name} created - country_id: ${country.get('country_id')}`;
}

// select all countries
export async function findAllCountries(Country: CountryModel): Promise<string> {
  const countries = await Country.findAll();
  return `All countries: ${JSON.stringify(countries, null, 2)}`;
}

// a read from the replicas, saying which server answered it and what it found there
export async function readFromReplicas(sequelize: Sequelize): Promise<string> {
  const [row] = await sequelize.query<{ node: string; names: string | null }>(
    'SELECT current_setting(\'cluster_name\') AS node, (SELECT string_agg(name, \', \' ORDER BY country_id) FROM "Countries") AS names',
    { type: QueryTypes.SELECT },
  );
  return `read by ${row!.node}: ${row!.names ?? 'no rows'}`;
}

// which server answers: a SELECT goes to a read replica, unless useMaster sends it to the write host
export async function whoAnswers(sequelize: Sequelize, useMaster: boolean): Promise<string> {
  const [row] = await sequelize.query<{ node: string }>("SELECT current_setting('cluster_name') AS node", { type: QueryTypes.SELECT, useMaster });
  return row!.node;
}
