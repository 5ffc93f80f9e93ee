/**
 * What Aurora DSQL refuses, as rules on the SQL text a client sends: the stand-in
 * (cluster/dsql/stand-in.ts) applies them in front of a plain PostgreSQL, so that code written for
 * DSQL and tested here fails where DSQL would fail. Read from AWS's "Unsupported PostgreSQL
 * features in Aurora DSQL", "DDL and distributed transactions" and "Concurrency control" pages,
 * and from AWS's Sequelize sample (no `SET client_min_messages`, FOR UPDATE only by primary key).
 *
 * Text rules, not a parser: comments and the contents of string literals and quoted identifiers
 * are blanked before matching, so a word inside a value never trips a rule, but SQL built in ways
 * these patterns do not foresee can slip through (docs: what the stand-in does not enforce).
 */

/** An error as DSQL would answer it: its SQLSTATE and its message. */
export interface Refusal {
  code: string;
  message: string;
  /** Which rule: for counts and for tests. */
  rule: string;
}

/** The error DSQL returns for a write-write conflict (AWS, "Concurrency control in Aurora DSQL"). */
export const OC000 = { code: '40001', message: 'mutation conflicts with another transaction, retry as needed (OC000)' };

/** What a statement is, for the one-DDL-no-DML transaction rule. */
export type StatementKind = 'ddl' | 'dml' | 'other';

/** What the rules need to know about the session a statement runs in. */
export interface SessionFacts {
  /** DSQL's admin role may use the public schema; every other role needs a schema of its own. */
  admin: boolean;
  /** The search_path the session set (SET search_path), if it set one. */
  searchPath?: string;
  /** Inside an explicit transaction: the kinds of statement it has run so far. */
  transaction?: StatementKind[];
}

const unsupported = (rule: string, what: string): Refusal => ({ code: '0A000', rule, message: `${what} is not supported in Aurora DSQL (refused by flipdrill's DSQL stand-in)` });

/**
 * The statement with comments, string literals and quoted identifiers blanked to spaces of the same
 * length (quotes kept), the rest lower-cased: every position still points at the same place in the
 * original, where a quoted name's letters can be read back.
 */
export function blank(sql: string): string {
  let out = '';
  for (let i = 0; i < sql.length; ) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? sql.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end < 0 ? sql.length : end + 2;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (c === "'") {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === "'" && sql[j + 1] !== "'")) j += sql[j] === "'" ? 2 : 1;
      out += `'${' '.repeat(Math.max(0, j - i - 1))}'`;
      i = j + 1;
    } else if (c === '"') {
      const end = sql.indexOf('"', i + 1);
      const stop = end < 0 ? sql.length : end + 1;
      out += `"${' '.repeat(Math.max(0, stop - i - 2))}"`;
      i = stop;
    } else if (c === '$' && /^\$[a-zA-Z_]*\$/.test(sql.slice(i))) {
      const tag = /^\$[a-zA-Z_]*\$/.exec(sql.slice(i))![0];
      const end = sql.indexOf(tag, i + tag.length);
      const stop = end < 0 ? sql.length : end + tag.length;
      out += ' '.repeat(stop - i);
      i = stop;
    } else {
      out += c.toLowerCase();
      i += 1;
    }
  }
  return out;
}

/** Split a simple query's text into statements at semicolons outside literals and comments. */
export function statements(sql: string): string[] {
  const b = blank(sql);
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i <= b.length; i++) {
    if (i === b.length || b[i] === ';') {
      const s = sql.slice(start, i).trim();
      if (s) out.push(s);
      start = i + 1;
    }
  }
  return out;
}

const DDL = /^\s*(create|alter|drop|grant|revoke|comment\s+on)\b/;
const DML = /^\s*(insert|update|delete|merge|select\b[\s\S]*\bfor\s+(update|share|no\s+key\s+update|key\s+share)\b)/;

export function kindOf(sql: string): StatementKind {
  const b = blank(sql);
  if (DDL.test(b)) return 'ddl';
  if (/^\s*(insert|update|delete|merge)\b/.test(b) || DML.test(b) || /^\s*with\b[\s\S]*\b(insert|update|delete)\b/.test(b)) return 'dml';
  return 'other';
}

/** The one table a locking SELECT reads (FROM <table>), unquoted, if there is one; undefined for joins. */
export function lockedTable(sql: string): string | undefined {
  const b = blank(sql);
  if (!/\bfor\s+(update|share|no\s+key\s+update|key\s+share)\b/.test(b)) return undefined;
  const from = /\bfrom\s+((?:"[^"]*"|[a-z_][a-z0-9_$]*)(?:\s*\.\s*(?:"[^"]*"|[a-z_][a-z0-9_$]*))?)/.exec(b);
  if (!from) return undefined;
  // The blanked text has lost a quoted name's letters: take them from the original at the same place.
  const name = sql.slice(from.index + from[0].length - from[1]!.length, from.index + from[0].length);
  return name.replace(/"/g, '').split('.').at(-1)!.trim();
}

/**
 * DSQL locks only by key: SELECT ... FOR UPDATE needs an equality predicate on every column of the
 * table's primary key, and no OR. `primaryKey` is the table's key columns (the stand-in looks them
 * up); undefined when the statement reads more than one table.
 */
function lockByKey(sql: string, primaryKey: string[] | undefined): Refusal | undefined {
  const b = blank(sql);
  if (!/\bfor\s+(update|share|no\s+key\s+update|key\s+share)\b/.test(b)) return undefined;
  const where = /\bwhere\b([\s\S]*?)(\border\s+by\b|\blimit\b|\bfor\s+(update|share|no\s+key|key\s+share)\b|$)/.exec(b)?.[1];
  const refused: Refusal = { code: '0A000', rule: 'lock-by-key', message: "locking clauses (FOR UPDATE, FOR SHARE) need an equality predicate on the table's primary key in Aurora DSQL (refused by flipdrill's DSQL stand-in)" };
  if (!primaryKey?.length || !where || /\bor\b/.test(where)) return refused;
  // Each key column compared with =, quoted or not, qualified or not ("accounts"."id" = $1).
  const original = sql.toLowerCase();
  const whereAt = b.indexOf(where);
  const whereText = original.slice(whereAt, whereAt + where.length);
  const ok = primaryKey.every((column) => new RegExp(`(^|[\\s(."])"?${column.toLowerCase()}"?\\s*=`).test(whereText));
  return ok ? undefined : refused;
}

/**
 * Check one statement. Returns the refusal DSQL would give, or undefined when DSQL would run it.
 * `primaryKey`: the key columns of the table a locking SELECT reads (see {@link lockedTable}).
 */
export function check(sql: string, session: SessionFacts, primaryKey?: string[]): Refusal | undefined {
  const b = blank(sql);
  const first = /^\s*([a-z]+)(\s+[a-z]+)?(\s+[a-z]+)?/.exec(b);
  const words = first ? `${first[1]}${first[2] ?? ''}${first[3] ?? ''}`.replace(/\s+/g, ' ') : '';
  if (/^truncate\b/.test(words)) return unsupported('truncate', 'TRUNCATE');
  if (/^(savepoint|release|rollback to)\b/.test(words) || /^rollback\s+(work\s+|transaction\s+)?to\b/.test(b.trim())) return unsupported('savepoint', 'SAVEPOINT');
  if (/^vacuum\b/.test(words)) return unsupported('vacuum', 'VACUUM');
  if (/^alter system\b/.test(words)) return unsupported('alter-system', 'ALTER SYSTEM');
  if (/^do\b/.test(words)) return unsupported('plpgsql', 'PL/pgSQL (a DO block)');
  if (/^set\s+(session\s+|local\s+)?client_min_messages\b/.test(b.trim())) return unsupported('client-min-messages', 'SET client_min_messages');
  if (/^create\b/.test(words)) {
    if (/^create\s+database\b/.test(b.trim())) return unsupported('create-database', 'CREATE DATABASE (one database per cluster)');
    if (/^create\s+(or\s+replace\s+)?(trusted\s+)?(procedural\s+)?(function|procedure)\b/.test(b.trim())) {
      const language = /\blanguage\s+'?([a-z0-9_]+)/.exec(b)?.[1] ?? /\blanguage\s+'([^']*)'/.exec(sql.toLowerCase())?.[1];
      if (language !== 'sql') return unsupported('plpgsql', `a function in ${language ?? 'a language other than SQL'}`);
    }
    if (/^create\s+(or\s+replace\s+)?(constraint\s+)?trigger\b/.test(b.trim())) return unsupported('trigger', 'CREATE TRIGGER');
    if (/^create\s+extension\b/.test(b.trim())) return unsupported('extension', 'CREATE EXTENSION');
    if (/^create\s+(temp|temporary|(global\s+|local\s+)?(temp|temporary))\b/.test(b.trim()) || /^create\s+(unlogged\s+)?table\b[^(]*\bas\b/.test(b.trim())) {
      return unsupported('temp-table', /\bas\b/.test(b) && !/\btemp/.test(b) ? 'CREATE TABLE AS' : 'a temporary table');
    }
    if (/^create\s+sequence\b/.test(b.trim())) return unsupported('sequence', 'a sequence');
    if (/^create\s+materialized\s+view\b/.test(b.trim())) return unsupported('materialized-view', 'CREATE MATERIALIZED VIEW');
    if (/^create\s+tablespace\b/.test(b.trim())) return unsupported('tablespace', 'CREATE TABLESPACE');
    if (/^create\s+type\b/.test(b.trim())) return unsupported('type', 'CREATE TYPE (an ENUM: use a string column checked by the app)');
  }
  if (/^(create|alter)\b/.test(words) && /\btable\b/.test(b)) {
    if (/\b(small|big)?serial\d?\b/.test(b) || /\bgenerated\s+(always|by\s+default)\s+as\s+identity\b/.test(b)) return unsupported('sequence', 'SERIAL or an identity column (a sequence)');
    if (/\breferences\b/.test(b) || /\bforeign\s+key\b/.test(b)) return unsupported('foreign-key', 'a foreign key');
    if (/\bpartition\s+by\b/.test(b) || /\binherits\b/.test(b)) return unsupported('partition', 'a partitioned or inherited table');
    if (/\bexclude\s+using\b/.test(b)) return unsupported('exclusion', 'an exclusion constraint');
  }
  if (/\bnextval\s*\(/.test(b)) return unsupported('sequence', 'nextval (a sequence)');
  const locking = lockByKey(sql, primaryKey);
  if (locking) return locking;
  // A role other than admin owns nothing in public: its tables go to its own schema.
  if (/^create\s+(unique\s+)?index\b/.test(b.trim()) && !/^create\s+(unique\s+)?index\s+async\b/.test(b.trim())) return unsupported('index-async', 'CREATE INDEX without ASYNC');
  if (!session.admin && /^create\s+(table|view)\b/.test(b.trim())) {
    const m = /^(\s*create\s+(?:table|view)\s+(?:if\s+not\s+exists\s+)?)((?:"[^"]*"|[a-z_][a-z0-9_$]*)(?:\s*\.\s*(?:"[^"]*"|[a-z_][a-z0-9_$]*))?)/.exec(b);
    const name = m ? sql.slice(m[1]!.length, m[1]!.length + m[2]!.length) : '';
    const schema = name.includes('.') ? name.split('.')[0]!.replace(/"/g, '').trim().toLowerCase() : firstSchema(session.searchPath);
    if (schema === 'public') return { code: '42501', rule: 'public-schema', message: 'permission denied for schema public (only admin may create objects there in Aurora DSQL; refused by flipdrill\'s DSQL stand-in)' };
  }
  const kind = kindOf(sql);
  const before = session.transaction;
  if (before && kind !== 'other') {
    const ddls = before.filter((k) => k === 'ddl').length;
    if ((kind === 'ddl' && (ddls > 0 || before.includes('dml'))) || (kind === 'dml' && ddls > 0)) {
      return { code: '0A000', rule: 'ddl-transaction', message: "a transaction may hold one DDL statement and no DML with it in Aurora DSQL (refused by flipdrill's DSQL stand-in)" };
    }
  }
  return undefined;
}

/** The schema a search_path setting puts first ("$user" and public stay public for a role without its own). */
export function firstSchema(searchPath: string | undefined): string {
  if (!searchPath) return 'public';
  const first = searchPath.split(',')[0]!.trim().replace(/^['"]|['"]$/g, '').toLowerCase();
  return first === '$user' || first === '' ? 'public' : first;
}

/** A SET search_path statement's value, if the statement is one. */
export function searchPathSet(sql: string): string | undefined {
  const m = /^\s*set\s+(?:session\s+)?search_path\s*(?:to|=)\s*([\s\S]+?)\s*;?\s*$/i.exec(sql);
  return m?.[1];
}
