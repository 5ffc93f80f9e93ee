import { describe, expect, it } from 'vitest';
import { blank, check, kindOf, lockedTable, searchPathSet, statements, type SessionFacts } from './rules.ts';

const admin: SessionFacts = { admin: true };
const rule = (sql: string, session: SessionFacts = admin, key?: string[]) => check(sql, session, key)?.rule;

describe("the DSQL stand-in's rules", () => {
  it('blanks comments, literals and quoted names to the same length, so positions still match', () => {
    const sql = `SELECT 'TRUNCATE it' AS "References", $$DO$$ -- truncate\n/* do */ FROM t`;
    const b = blank(sql);
    expect(b).toHaveLength(sql.length);
    expect(b).not.toMatch(/truncate|references|\bdo\b/);
    expect(statements("INSERT INTO t VALUES ('a;b'); SELECT 1;")).toEqual(["INSERT INTO t VALUES ('a;b')", 'SELECT 1']);
  });

  it('refuses what DSQL does not support', () => {
    expect(rule('TRUNCATE countries')).toBe('truncate');
    expect(rule('truncate table "countries" restart identity')).toBe('truncate');
    expect(rule('DO $$ BEGIN PERFORM 1; END $$')).toBe('plpgsql');
    expect(rule("CREATE OR REPLACE FUNCTION pg_temp.f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql")).toBe('plpgsql');
    expect(rule('CREATE TABLE t (id SERIAL PRIMARY KEY)')).toBe('sequence');
    expect(rule('CREATE TABLE IF NOT EXISTS "t" ("id"   BIGSERIAL , PRIMARY KEY ("id"))')).toBe('sequence');
    expect(rule('CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY)')).toBe('sequence');
    expect(rule('CREATE SEQUENCE s')).toBe('sequence');
    expect(rule("SELECT nextval('s')")).toBe('sequence');
    expect(rule('CREATE TABLE transfers (id uuid PRIMARY KEY, from_account text REFERENCES accounts (id))')).toBe('foreign-key');
    expect(rule('ALTER TABLE "transfers" ADD CONSTRAINT "f" FOREIGN KEY ("from_account") REFERENCES "accounts" ("id")')).toBe('foreign-key');
    expect(rule('SAVEPOINT a')).toBe('savepoint');
    expect(rule('ROLLBACK TO SAVEPOINT a')).toBe('savepoint');
    expect(rule('CREATE TYPE mood AS ENUM (\'ok\')')).toBe('type');
    expect(rule('CREATE TEMPORARY TABLE x (id int)')).toBe('temp-table');
    expect(rule('CREATE INDEX i ON t (a)')).toBe('index-async');
    expect(rule('SET client_min_messages TO warning')).toBe('client-min-messages');
    expect(rule('CREATE DATABASE other')).toBe('create-database');
  });

  it('lets through what DSQL runs', () => {
    expect(rule('CREATE TABLE IF NOT EXISTS "countries" ("id" UUID , "name" VARCHAR(200) NOT NULL, PRIMARY KEY ("id"))')).toBeUndefined();
    expect(rule('CREATE INDEX ASYNC i ON t (a)')).toBeUndefined();
    expect(rule("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'")).toBeUndefined();
    expect(rule(`INSERT INTO "countries" ("id","name") VALUES ($1,'TRUNCATE; DO') RETURNING *`)).toBeUndefined();
    expect(rule('DELETE FROM "countries"')).toBeUndefined();
    expect(rule("SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE")).toBeUndefined();
    expect(rule('SELECT 1 AS "truncate"')).toBeUndefined();
  });

  it('locks only by the whole primary key, compared with =, with no OR', () => {
    const key = ['id'];
    expect(lockedTable('SELECT * FROM "accounts" AS "Account" WHERE "Account"."id" = $1 FOR UPDATE')).toBe('accounts');
    expect(rule('SELECT * FROM "accounts" AS "Account" WHERE "Account"."id" = $1 FOR UPDATE', admin, key)).toBeUndefined();
    expect(rule('SELECT * FROM accounts WHERE balance > 10 FOR UPDATE', admin, key)).toBe('lock-by-key');
    expect(rule('SELECT * FROM accounts WHERE id = $1 OR id = $2 FOR UPDATE', admin, key)).toBe('lock-by-key');
    expect(rule('SELECT * FROM accounts FOR UPDATE', admin, key)).toBe('lock-by-key');
    expect(rule('SELECT * FROM t WHERE a = 1 FOR SHARE', admin, ['a', 'b'])).toBe('lock-by-key');
    expect(rule('SELECT * FROM t WHERE a = 1 AND b = 2 FOR SHARE', admin, ['a', 'b'])).toBeUndefined();
  });

  it('gives public to admin only: another role creates its tables after SET search_path TO its schema', () => {
    const app: SessionFacts = { admin: false };
    expect(check('CREATE TABLE IF NOT EXISTS "countries" ("id" UUID PRIMARY KEY)', app)).toMatchObject({ code: '42501', rule: 'public-schema' });
    expect(rule('CREATE TABLE public.t (id uuid PRIMARY KEY)', { admin: false, searchPath: 'myschema' })).toBe('public-schema');
    expect(rule('CREATE TABLE IF NOT EXISTS "countries" ("id" UUID PRIMARY KEY)', { admin: false, searchPath: 'myschema' })).toBeUndefined();
    expect(rule('CREATE TABLE "myschema"."countries" ("id" UUID PRIMARY KEY)', app)).toBeUndefined();
    expect(searchPathSet('SET search_path TO myschema')).toBe('myschema');
    expect(searchPathSet("SET search_path = 'myschema', public")).toBe("'myschema', public");
  });

  it('holds one DDL statement and no DML in a transaction', () => {
    expect(kindOf('CREATE TABLE t (id uuid PRIMARY KEY)')).toBe('ddl');
    expect(kindOf('INSERT INTO t VALUES ($1)')).toBe('dml');
    expect(kindOf('SELECT * FROM t WHERE id = $1 FOR UPDATE')).toBe('dml');
    expect(kindOf('SELECT 1')).toBe('other');
    expect(rule('INSERT INTO t VALUES (1)', { admin: true, transaction: ['ddl'] })).toBe('ddl-transaction');
    expect(rule('CREATE TABLE u (id uuid PRIMARY KEY)', { admin: true, transaction: ['dml'] })).toBe('ddl-transaction');
    expect(rule('CREATE TABLE u (id uuid PRIMARY KEY)', { admin: true, transaction: ['ddl'] })).toBe('ddl-transaction');
    expect(rule('INSERT INTO t VALUES (1)', { admin: true, transaction: ['dml', 'other'] })).toBeUndefined();
    expect(rule('CREATE TABLE u (id uuid PRIMARY KEY)', { admin: true, transaction: ['other'] })).toBeUndefined();
  });
});
