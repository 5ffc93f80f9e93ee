/**
 * Which of several hosts a new connection goes to, with libpq's meaning of a multi-host endpoint
 * and its target_session_attrs (app/failover/settings.ts), and one thing libpq does not do: the
 * host that last fitted is remembered, and every new connection starts there. So a pool keeps to
 * the primary it found, and when that host stops fitting (its connections die, or it answers as a
 * standby after a failover) the next connection walks on to the following hosts, in order and
 * around, until one fits.
 *
 * One walk is one connection attempt, as in libpq: each host is opened, asked what it is, and
 * kept or closed. A walk that finds nothing fails with what the hosts said, and the caller's own
 * retries (a unit of work's backoff and failover window) decide whether to walk again. An error
 * that `stops` the walk (a bad password, an untrusted certificate) is thrown at once: libpq tries
 * no further host after a failed authentication either.
 */
import { RoleMismatchError } from './classify.ts';
import type { Endpoint, TargetSessionAttrs } from './settings.ts';

/** What a new session says about itself. */
export interface SessionRole {
  /** SHOW transaction_read_only is on. */
  readOnly: boolean;
  /** pg_is_in_recovery(): a standby. */
  inRecovery: boolean;
}

/** Does a session fit? (prefer-standby's first choice is a standby: see HostChoice.connect.) */
export function fits(target: TargetSessionAttrs, role: SessionRole): boolean {
  switch (target) {
    case 'any':
      return true;
    case 'read-write':
      return !role.readOnly;
    case 'read-only':
      return role.readOnly;
    case 'primary':
      return !role.inRecovery;
    case 'standby':
    case 'prefer-standby':
      return role.inRecovery;
  }
}

/** Opens a connection to one host; throws if it cannot. */
export type OpenHost<C> = (host: Endpoint) => Promise<C>;

export interface HostConnector<C> {
  /** Ask an open connection what its session is. */
  role(connection: C): Promise<SessionRole>;
  /** Close a connection that is not kept; never throws. */
  close(connection: C): Promise<void>;
  /** An error after which no further host is tried. */
  stops(error: unknown): boolean;
}

export interface HostChoice<C> {
  /** Walk the hosts from the current one, opening each with `open`; the first that fits becomes the current one. */
  connect(open: OpenHost<C>): Promise<{ connection: C; host: Endpoint }>;
  /** Where the next walk starts. */
  readonly current: Endpoint;
}

const hostName = (h: Endpoint) => `${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`;

function what(role: SessionRole): string {
  if (role.inRecovery) return 'a standby';
  return role.readOnly ? 'a read-only primary' : 'a primary';
}

function reason(error: unknown): string {
  const e = error as { code?: string; message?: string; parent?: { code?: string }; original?: { code?: string } } | undefined;
  return e?.parent?.code ?? e?.original?.code ?? e?.code ?? e?.message ?? String(error);
}

export function createHostChoice<C>(hosts: Endpoint[], target: TargetSessionAttrs, connector: HostConnector<C>): HostChoice<C> {
  if (hosts.length === 0) throw new Error('a host choice needs at least one host');
  let current = 0;
  // prefer-standby looks for a standby first; whatever answered first is kept in case none is.
  const wanted: TargetSessionAttrs = target === 'prefer-standby' ? 'standby' : target;

  async function connect(open: OpenHost<C>): Promise<{ connection: C; host: Endpoint }> {
    const start = current;
    const refusals: string[] = [];
    let mismatch = false;
    let lastError: unknown;
    let fallback: { connection: C; index: number } | undefined;
    const keep = async (connection: C, index: number) => {
      if (fallback && fallback.connection !== connection) await connector.close(fallback.connection);
      current = index;
      return { connection, host: hosts[index]! };
    };
    for (let k = 0; k < hosts.length; k++) {
      const index = (start + k) % hosts.length;
      const host = hosts[index]!;
      let connection: C;
      try {
        connection = await open(host);
      } catch (error) {
        if (connector.stops(error)) {
          if (fallback) await connector.close(fallback.connection);
          throw error;
        }
        lastError = error;
        refusals.push(`${hostName(host)} ${reason(error)}`);
        continue;
      }
      // libpq asks nothing for any: the first host that lets a session in is it.
      if (wanted === 'any') return keep(connection, index);
      let role: SessionRole;
      try {
        role = await connector.role(connection);
      } catch (error) {
        await connector.close(connection);
        if (connector.stops(error)) {
          if (fallback) await connector.close(fallback.connection);
          throw error;
        }
        lastError = error;
        refusals.push(`${hostName(host)} ${reason(error)}`);
        continue;
      }
      if (fits(wanted, role)) return keep(connection, index);
      if (target === 'prefer-standby' && !fallback) {
        fallback = { connection, index };
        continue;
      }
      await connector.close(connection);
      mismatch = true;
      refusals.push(`${hostName(host)} is ${what(role)}`);
    }
    if (fallback) return keep(fallback.connection, fallback.index);
    if (!mismatch) throw lastError;
    // Some host answered, as the wrong kind of node: a failover under way, or a wrong endpoint.
    const only = hosts.length === 1 ? hosts[0] : undefined;
    throw new RoleMismatchError(
      only && target === 'read-write'
        ? `the write endpoint ${hostName(only)} leads to a read-only node`
        : `no host fits target_session_attrs=${target}: ${refusals.join(', ')}`,
    );
  }

  return {
    connect,
    get current() {
      return hosts[current]!;
    },
  };
}
