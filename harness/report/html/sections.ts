/** The sections of report.html around its chart: the figures, the checks, the anomalies with the operations behind them, the cluster's events and the settings. */
import type { CheckResult, ReadAnomaly, SessionAnomaly, StalenessFigures, WriteRef } from '../../checker/types.ts';
import type { ClusterEvent, WrittenValue } from '../../op.ts';
import type { DrillReport } from '../report.ts';
import { html, type Markup } from './markup.ts';
import { at, describeValue, duration, nsToMs, plural, textOf, timeOfDay, wallClock } from './format.ts';
import type { Pair, RunTime } from './timeline.ts';

/** Anomaly lists stop here; report.json has them all. */
export const LIST_LIMIT = 50;

function figure(testid: string, label: string, value: string, note: string, tone: 'good' | 'bad' | 'plain' = 'plain'): Markup {
  return html`<div class="figure ${tone}" data-testid="figure-${testid}"><div class="figure-label">${label}</div><div class="figure-value">${value}</div><div class="figure-note">${note}</div></div>`;
}

export function figures(result: CheckResult): Markup {
  const { write, read } = result.counts;
  const outage = result.writeUnavailability;
  const gap = result.longestWriteGap;
  const db = result.databaseDowntime;
  const errors = [
    ...Object.entries(write.errors ?? {}).map(([code, n]) => `${code} ×${n}`),
    ...Object.entries(read.errors ?? {}).map(([code, n]) => `${code} ×${n} (reads)`),
  ];
  const databases = Object.entries(result.writesByDatabase ?? {});
  const lostTone = result.lost.length > result.expectations.maxLost ? 'bad' : result.lost.length > 0 ? 'plain' : 'good';
  return html`<section data-testid="figures">
    <div class="figures">
      ${figure(
        'writes-down',
        'writes down (clients)',
        outage ? duration(outage.ms) : 'never resumed',
        outage
          ? `last ok write before writes stopped at ${at(outage.lastOkBeforeMs)}, first ok write by the primary after the fault at ${at(outage.firstOkAfterMs)}${gap && gap.ms > outage.ms ? `; longest gap ${duration(gap.ms)} (${at(gap.fromMs)} to ${at(gap.toMs)})` : ''}`
          : 'no write was acknowledged by a primary after the fault',
        outage ? 'plain' : 'bad',
      )}
      ${figure(
        'database-downtime',
        'writes down (database)',
        db ? duration(db.ms) : 'n/a',
        db ? `last commit on timeline ${db.oldTimeline} to first commit on timeline ${db.newTimeline}` : 'the commits span one timeline',
      )}
      ${figure(
        'promotion',
        'promotion',
        result.promotion ? duration(result.promotion.observedMs) : 'none',
        result.promotion ? `${result.promotion.node} primary, asked of the database${result.promotion.reportedMs !== null ? `; repmgr logged its promote event at ${duration(result.promotion.reportedMs)}` : ''}` : 'no standby was promoted',
      )}
      ${figure('endpoint-move', 'endpoint move', result.endpointMove ? duration(result.endpointMove.ms) : 'none', result.endpointMove ? `to ${result.endpointMove.node}, after the fault` : 'the endpoint did not move after the fault')}
      ${figure(
        'writes',
        'writes',
        `${write.ok} ok`,
        `${write.fail} failed, ${write.info} unknown${write.open ? `, ${write.open} cut off` : ''}; ${result.writesAfterFault.onNewPrimary} ok on the new primary`,
      )}
      ${figure('reads', 'reads', `${read.ok} ok`, `${read.fail} failed, ${read.info} unknown${read.open ? `, ${read.open} cut off` : ''}; ${result.staleReads.length} stale`)}
      ${figure(
        'lost',
        'lost',
        plural(result.lost.length, 'write'),
        `acknowledged writes missing from the new primary (budget ${result.expectations.maxLost})${result.recoveryPoint && result.lost.length ? `; ${result.recoveryPoint.seconds} s of writes` : ''}`,
        lostTone,
      )}
    </div>
    <dl class="facts">
      ${databases.length > 0 && html`<dt>databases</dt><dd>${databases.map(([name, w]) => `${name}: ${w.ok} acknowledged, ${w.lost} lost`).join('; ')}</dd>`}
      ${errors.length > 0 && html`<dt>errors by kind</dt><dd>${errors.join(', ')}</dd>`}
      ${result.recovered.length > 0 && html`<dt>recovered</dt><dd>${plural(result.recovered.length, 'write')} with an unknown outcome turned out committed (not an anomaly: that is what unknown means)</dd>`}
      ${
        result.floatingIp &&
        html`<dt>floating IP</dt><dd>${result.floatingIp.ip} on ${result.floatingIp.holder ?? 'nobody'}; the move took ${duration(result.floatingIp.moveMs)} at DigitalOcean; the hook's assign requests: ${result.floatingIp.assignRequests.map((r) => r.status).join(', ') || 'none'}</dd>`
      }
      ${result.degradedReplication && html`<dt>note</dt><dd>${result.degradedReplication}</dd>`}
      ${(result.workload?.lines.length ?? 0) > 0 && html`<dt>${result.workload!.name} workload</dt><dd data-testid="workload-lines">${result.workload!.lines.map((l) => html`<div>${l.trim()}</div>`)}</dd>`}
    </dl>
  </section>`;
}

export function checksSection(result: CheckResult): Markup {
  return html`<section data-testid="checks"><h2>Checks</h2>
    <table class="checks"><tbody>
      ${result.checks.map(
        (c) => html`<tr class="${c.ok ? 'ok' : 'fail'}" data-check-ok="${String(c.ok)}"><td class="status">${c.ok ? 'ok' : 'FAIL'}</td><td class="check-name">${c.name}</td><td>${c.detail}</td></tr>`,
      )}
    </tbody></table></section>`;
}

/** The history's side of a write the checker names: its invocation and its answer. */
type PairsById = ReadonlyMap<string, Pair>;

function operationLines(pair: Pair | undefined, ref: WriteRef): Markup {
  if (!pair) return html`<span class="muted">not in the history</span>`;
  const { invoke, completion } = pair;
  const written = completion?.type === 'ok' ? (completion.value as Partial<WrittenValue>) : undefined;
  const answer = completion
    ? html`<div class="op"><span class="op-type ${completion.type}">${completion.type}</span> ${at(nsToMs(completion.time))} <span class="muted">after ${duration((completion.time - invoke.time) / 1e6)}</span>${completion.error ? html` · <span class="error">${completion.error}</span>` : ''}</div>`
    : html`<div class="op"><span class="op-type info">no answer</span> <span class="muted">the history ends first</span></div>`;
  const commit =
    written?.committed_by &&
    html`<div class="op commit">committed by ${written.committed_by} on timeline ${written.committed_timeline ?? '?'}${written.committed_at ? html` at <span title="${written.committed_at}">${timeOfDay(written.committed_at)}</span>` : ''}</div>`;
  return html`<div class="op"><span class="op-type invoke">invoke</span> ${at(nsToMs(invoke.time))} <span class="muted">process ${ref.process}</span></div>${answer}${commit}`;
}

function writeRows<T extends WriteRef>(refs: readonly T[], pairs: PairsById, extra?: { header: string; cell: (ref: T) => string }): Markup {
  return html`<table class="anomaly-table"><thead><tr><th>write id</th><th>name</th><th>database</th><th>operations</th>${extra && html`<th>${extra.header}</th>`}</tr></thead><tbody>
    ${refs.slice(0, LIST_LIMIT).map((ref) => {
      const value = pairs.get(ref.id)?.invoke.value as { name?: string; db?: string } | undefined;
      return html`<tr data-write-id="${ref.id}"><td class="nowrap"><code>${ref.id}</code></td><td class="nowrap">${value?.name ?? ''}</td><td>${value?.db ?? 'app'}</td><td>${operationLines(pairs.get(ref.id), ref)}</td>${extra && html`<td>${extra.cell(ref)}</td>`}</tr>`;
    })}
  </tbody></table>${more(refs.length)}`;
}

function more(total: number): Markup | null {
  return total > LIST_LIMIT ? html`<p class="more" data-more="${total - LIST_LIMIT}">and ${total - LIST_LIMIT} more in report.json</p>` : null;
}

function anomaly(kind: string, title: string, count: number, meaning: string, body: () => Markup): Markup {
  return html`<section class="anomaly ${count > 0 ? 'found' : 'none'}" data-testid="anomaly-${kind}" data-count="${count}">
    <h3>${title} <span class="count">${count}</span></h3>
    ${count > 0 ? html`<p class="meaning">${meaning}</p>${body()}` : null}
  </section>`;
}

export function anomaliesSection(result: CheckResult, pairs: PairsById): Markup {
  const split = result.splitBrain;
  return html`<section data-testid="anomalies"><h2>Anomalies</h2>
    ${anomaly('lost', 'Lost writes', result.lost.length, 'Acknowledged to the client, missing from the new primary: a user was told "saved" and the data is gone.', () => writeRows(result.lost, pairs))}
    ${anomaly('contradicted', 'Answered "failed" but present', result.contradicted.length, 'The app said the write failed, yet it is in the database: a client that trusted "failed" and retried wrote twice.', () =>
      writeRows(result.contradicted, pairs),
    )}
    ${anomaly('duplicated', 'Present more than once', result.duplicated.length, 'A value the final read holds several times: a retry that was not idempotent.', () =>
      html`<ul class="ids">${result.duplicated.slice(0, LIST_LIMIT).map((d) => html`<li data-write-id="${d.id}"><code>${d.id}</code> ×${d.count}</li>`)}</ul>${more(result.duplicated.length)}`,
    )}
    ${anomaly('unexpected', 'Nobody wrote these', result.unexpected.length, 'Values in the database that no client tried to write: corruption, or something else writing to the table.', () =>
      html`<ul class="ids">${result.unexpected.slice(0, LIST_LIMIT).map((id) => html`<li data-write-id="${id}"><code>${id}</code></li>`)}</ul>${more(result.unexpected.length)}`,
    )}
    ${anomaly('split-brain', 'Split brain', split?.writes.length ?? 0, split ? `Writes acknowledged by another primary after ${split.newPrimary} started committing on timeline ${split.newTimeline} (at ${new Date(split.newPrimaryFirstCommitAt).toISOString()}).` : '', () =>
      writeRows(split!.writes, pairs, { header: 'committed at', cell: (ref) => new Date(ref.committedAtMs).toISOString() }),
    )}
    ${anomaly('read-anomalies', 'Reads of what cannot exist', result.readAnomalies?.length ?? 0, 'Reads that found a value nobody wrote, a write the app answered "failed", or a write not yet invoked when the read was answered.', () =>
      html`<table class="anomaly-table"><thead><tr><th>write id</th><th>process</th><th>read at</th><th>answered at</th><th>what it saw</th></tr></thead><tbody>
        ${result.readAnomalies.slice(0, LIST_LIMIT).map((r) => html`<tr data-write-id="${r.id}"><td><code>${r.id}</code></td><td>${r.process}</td><td>${at(r.readAtMs)}</td><td>${at(r.answeredAtMs)}</td><td>${READ_ANOMALY[r.kind]}</td></tr>`)}
      </tbody></table>${more(result.readAnomalies.length)}`,
    )}
    ${anomaly('stale-reads', 'Stale reads', result.staleReads.length, 'Reads from a replica that missed a write acknowledged before the read began (replica lag). Reported, not a FAIL.', () =>
      html`<table class="anomaly-table"><thead><tr><th>write id</th><th>process</th><th>read at</th><th>write acknowledged at</th><th>lag at least</th></tr></thead><tbody>
        ${result.staleReads.slice(0, LIST_LIMIT).map((r) => html`<tr data-write-id="${r.id}"><td><code>${r.id}</code></td><td>${r.process}</td><td>${at(r.readAtMs)}</td><td>${at(r.ackedAtMs)}</td><td>${duration(r.lagMs)}</td></tr>`)}
      </tbody></table>${more(result.staleReads.length)}`,
    )}
    ${sessionAnomalies(result)}
  </section>`;
}

/** The session checks' findings: the read, the node that answered it, and what its session knew before. */
function sessionAnomalies(result: CheckResult): Markup {
  const s = result.sessions;
  const promised = (id: string) => (s?.promised ?? []).includes(id as never);
  const tone = (id: string) => (promised(id) ? 'The app promises this: a FAIL.' : 'The app does not promise this: reported, not a FAIL.');
  const sessionRows = (list: readonly SessionAnomaly[], earlier: string) =>
    html`<table class="anomaly-table"><thead><tr><th>id</th><th>session</th><th>read at</th><th>answered by</th><th>${earlier}</th></tr></thead><tbody>
      ${list.slice(0, LIST_LIMIT).map((a) => html`<tr data-write-id="${a.id}" data-session="${a.session}"><td><code>${a.id}</code></td><td>${a.session}</td><td>${at(a.readAtMs)}</td><td>${a.servedBy ?? '?'}</td><td>${at(a.earlierAtMs)}${a.earlierServedBy ? ` (from ${a.earlierServedBy})` : ''}</td></tr>`)}
    </tbody></table>${more(list.length)}`;
  return html`
    ${anomaly('read-your-writes', 'Reads that missed their own session\'s write', s?.readYourWrites.length ?? 0, `A session wrote a row, was told it was saved, and a later read of it in the same session did not find it (a replica that had not replayed it yet). ${tone('read-your-writes')}`, () =>
      sessionRows(s!.readYourWrites, 'its write acknowledged at'),
    )}
    ${anomaly('monotonic-reads', 'Reads that went back in time', s?.monotonicReads.length ?? 0, `A session saw a row, then a later read of it in the same session did not (another replica, further behind). ${tone('monotonic-reads')}`, () =>
      sessionRows(s!.monotonicReads, 'seen before, answered at'),
    )}
    ${anomaly('deposed-reads', 'Reads from a replaced timeline', s?.deposedReads.length ?? 0, `Reads answered by a node on a timeline that a newer primary had already replaced: the deposed primary, or a standby still following it (or following nobody). ${tone('no-deposed-read')}`, () =>
      html`<table class="anomaly-table"><thead><tr><th>id</th><th>read at</th><th>answered by</th><th>its timeline</th><th>newer primary</th><th>found</th></tr></thead><tbody>
        ${s!.deposedReads.slice(0, LIST_LIMIT).map((d) => html`<tr data-write-id="${d.id}"><td><code>${d.id}</code></td><td>${at(d.readAtMs)}</td><td>${d.servedBy} (${d.role})</td><td>${d.timeline}</td><td>${d.newPrimary} on ${d.newTimeline}</td><td>${d.found ? 'yes' : 'no'}</td></tr>`)}
      </tbody></table>${more(s!.deposedReads.length)}`,
    )}`;
}

/** Each node's reads of acknowledged writes, the misses, and how long after acknowledgement they still missed. */
export function stalenessSection(result: CheckResult): Markup {
  const nodes = result.sessions?.staleness ?? [];
  const refollow = result.sessions?.refollow ?? [];
  if (nodes.length === 0 && refollow.length === 0) return html``;
  const cells = (f: StalenessFigures) => html`<td class="num">${f.reads}</td><td class="num">${f.misses}</td><td class="num">${f.medianMs === null ? '–' : duration(f.medianMs)}</td><td class="num">${f.p95Ms === null ? '–' : duration(f.p95Ms)}</td><td class="num">${f.worstMs === null ? '–' : duration(f.worstMs)}</td>`;
  return html`<section data-testid="staleness"><h2>Replica staleness</h2>
    <p class="meaning">Reads of writes acknowledged before the read began, by the node that answered them: how many missed the write, and how long after its acknowledgement (at least) each miss came. Before the fault, and from the fault on.</p>
    <table class="staleness"><thead><tr><th rowspan="2">node</th><th colspan="5">normal running</th><th colspan="5">from the fault on</th></tr>
      <tr><th>reads</th><th>missed</th><th>median</th><th>p95</th><th>worst</th><th>reads</th><th>missed</th><th>median</th><th>p95</th><th>worst</th></tr></thead><tbody>
      ${nodes.map((n) => html`<tr data-node="${n.node}"><td>${n.node}</td>${cells(n.normal)}${cells(n.failover)}</tr>`)}
    </tbody></table>
    ${refollow.length > 0 && html`<ul class="refollow">${refollow.map((r) => html`<li data-refollow="${r.node}" data-ms="${r.refollowMs ?? ''}">${r.node} ${r.refollowMs === null ? 'never received the new timeline while the drill looked' : `received the new timeline ${duration(r.refollowMs)} after the promotion was seen`}; it answered ${r.readsMeanwhile} reads meanwhile</li>`)}</ul>`}
  </section>`;
}

const READ_ANOMALY: Record<ReadAnomaly['kind'], string> = {
  'never-written': 'a value nobody wrote',
  'failed-write': 'a write answered "failed"',
  'before-invoke': 'a write not yet invoked',
};

function eventDetail(e: ClusterEvent): string {
  const ms = (value: unknown) => (typeof value === 'number' ? ` (${duration(value)})` : '');
  switch (e.type) {
    case 'phase':
      return `${textOf(e.phase)}${e.detail ? `: ${textOf(e.detail)}` : ''}${ms(e.ms)}`;
    case 'fault':
      return `${textOf(e.kind)}${e.detail ? `: ${textOf(e.detail)}` : ''}${e.primary ? ` (primary ${textOf(e.primary)}, standby ${textOf(e.standby)})` : ''}`;
    case 'promotion-observed':
      return `primary on timeline ${textOf(e.timeline)}`;
    case 'node-state':
      return `seen ${textOf(e.role)}${typeof e.timeline === 'number' ? ` on timeline ${e.timeline}` : ''}`;
    case 'endpoint':
      return `${textOf(e.action)} (seen): ${textOf(e.reason)}`;
    case 'endpoint-agent':
      return `the endpoint agent: ${textOf(e.action)}: ${textOf(e.reason)}${ms(e.durationMs)}`;
    case 'heal':
      return e.restarted ? `restarted, reported ${textOf(e.role)}${ms(e.ms)}` : 'nothing to restart';
    case 'manager':
      return `${textOf(e.manager)}: ${textOf(e.event)}${e.node ? ` on ${textOf(e.node)}` : ''}${e.details ? `: ${textOf(e.details)}` : ''}`;
    case 'repmgr':
      return `${textOf(e.event)}${e.successful === false ? ' (unsuccessful)' : ''}${e.details ? `: ${textOf(e.details)}` : ''}`;
    case 'switchback':
      return `${e.ok === false ? 'failed' : 'done'}${ms(e.ms)}${e.error ? `: ${textOf(e.error)}` : ''}`;
    case 'clock':
      return `clock ${typeof e.offsetMs === 'number' ? `${e.offsetMs >= 0 ? '+' : ''}${e.offsetMs} ms` : '?'} against the harness's (±${textOf(e.errorMs)} ms)`;
    case 'dsql-stand-in':
      return `the DSQL stand-in: ${textOf(e.conflicts)} write conflicts answered as OC000, ${textOf(e.sessions)} sessions, refused: ${Object.entries((e.refused ?? {}) as Record<string, unknown>).map(([rule, n]) => `${rule} ${textOf(n)}`).join(', ') || 'nothing'}`;
    case 'floating-ip':
      return `${textOf(e.ip)} on ${textOf(e.holder) || 'nobody'}; assign requests: ${Array.isArray(e.assignRequests) ? e.assignRequests.map((r: { status?: unknown }) => textOf(r.status)).join(', ') : 'none'}`;
    default: {
      const { type: _type, time: _time, wall: _wall, node: _node, ...rest } = e;
      return JSON.stringify(rest);
    }
  }
}

export function eventsSection(events: readonly ClusterEvent[], time: RunTime): Markup {
  // Events read back from repmgr may lack a monotonic time: placed by the wall clock, on the chart's axis.
  const rows = events
    .map((e) => ({ e, atMs: time.msOf(e) }))
    .sort((a, b) => (a.atMs ?? Infinity) - (b.atMs ?? Infinity));
  return html`<section data-testid="events"><h2>Cluster events</h2>
    <table class="events"><thead><tr><th class="num">since start</th><th>wall clock (UTC)</th><th>type</th><th>node</th><th>detail</th></tr></thead><tbody>
      ${rows.map(
        ({ e, atMs }) =>
          html`<tr class="event ${e.type}" data-event-type="${e.type}"><td class="num">${atMs === null ? '' : at(atMs)}</td><td>${typeof e.wall === 'number' ? wallClock(e.wall) : ''}</td><td>${e.type}</td><td>${textOf(e.node)}</td><td>${eventDetail(e)}</td></tr>`,
      )}
    </tbody></table></section>`;
}

export function settingsSection(report: DrillReport): Markup {
  const { cluster } = report;
  const rows: [string, string][] = [
    ['scenario', report.scenario],
    ['run id', report.runId],
    ['started', report.startedAt],
    ['finished', report.finishedAt],
    ['seed', String(report.seed)],
    ['cluster', `${cluster.name}${cluster.reused ? ' (reused, already running)' : ''}`],
    ['replication', cluster.replication],
    ['repmgrd timing', describeValue(cluster.timing)],
    // Reports written before the drill recorded TLS and the app profile lack them.
    ['TLS', cluster.tls === undefined ? 'not recorded' : cluster.tls ? 'on' : 'off'],
    ['app', cluster.app ?? 'not recorded'],
    // Machines provisioned with ansible/ run no images of ours.
    ['images', cluster.images ? describeValue(cluster.images) : 'none (machines)'],
    ['workload', describeValue(report.workload)],
    ['expectations', describeValue(report.result.expectations)],
  ];
  return html`<section data-testid="settings"><h2>Settings</h2><dl class="facts">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl></section>`;
}
