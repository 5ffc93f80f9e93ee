import type { RunFacts } from '../facts.ts';
import { nsToMs } from '../history.ts';
import type { Check, CheckPart, CheckResult } from '../types.ts';
import type { Failover } from './failover.ts';

/** What the scenario says must have happened, held against the failover's figures. */
export function expectationsPart(f: RunFacts, failover: Failover): CheckPart<Pick<CheckResult, 'expectations'>> {
  const { input, expectations, faultNs, faultNode, primaryAtFault, standbyAtFault, standbysAtFault } = f;
  const { promotion, endpointMove, writesAfterFault, writeUnavailability, longestWriteGap, floatingIp } = failover;
  const events = input.events;
  const newPrimary = promotion?.node;
  const out: Check[] = [];
  if (expectations.promotion === 'either') {
    out.push({
      id: 'promotion-either',
      name: 'a failover or none: either is fine, the history must hold',
      ok: true,
      detail: promotion ? `${promotion.node} was promoted ${promotion.observedMs ?? promotion.reportedMs ?? '?'} ms after the fault` : `no promotion: ${primaryAtFault ?? 'the primary'} stayed primary`,
    });
    if (promotion) {
      out.push({
        id: 'endpoint-moved',
        name: 'the endpoint moved to the new primary',
        ok: endpointMove !== null && endpointMove.node === newPrimary,
        detail: endpointMove ? `moved to ${endpointMove.node} ${endpointMove.ms} ms after the fault` : 'the endpoint never moved',
      });
    }
  } else if (expectations.promotion) {
    out.push(
      {
        id: 'standby-promoted',
        name: 'a standby was promoted',
        ok: promotion !== null && promotion.node !== primaryAtFault,
        detail: promotion
          ? `${promotion.node} promoted (observed ${promotion.observedMs ?? '?'} ms${promotion.reportedMs !== null ? `, repmgr event ${promotion.reportedMs} ms` : ''} after the fault)`
          : 'no promotion observed or reported by repmgr',
      },
      {
        id: 'endpoint-moved',
        name: 'the endpoint moved to the new primary',
        ok: endpointMove !== null && endpointMove.node === newPrimary,
        detail: endpointMove ? `moved to ${endpointMove.node} ${endpointMove.ms} ms after the fault` : 'the endpoint never moved',
      },
      {
        id: 'writes-resumed',
        name: 'writes resumed on the new primary',
        ok: writesAfterFault.onNewPrimary > 0,
        detail:
          expectations.nodeStamps === false
            ? `${writesAfterFault.onNewPrimary} acknowledged writes after the fault (the app's stamps name no node: each counts as ${newPrimary ?? 'the new primary'}'s)`
            : `${writesAfterFault.onNewPrimary} acknowledged writes committed by ${newPrimary ?? 'no new primary'} after the fault`,
      },
    );
  } else {
    out.push(
      {
        id: 'no-promotion',
        name: 'no standby was promoted',
        ok: promotion === null,
        detail: promotion ? `${promotion.node} was promoted although ${primaryAtFault} was healthy` : `${primaryAtFault ?? 'the primary'} stayed primary`,
      },
      {
        id: 'endpoint-stayed',
        name: 'the endpoint stayed on the primary',
        ok: endpointMove === null,
        detail: endpointMove ? `moved to ${endpointMove.node} ${endpointMove.ms} ms after the fault` : `stayed on ${primaryAtFault ?? 'the primary'}`,
      },
      {
        id: 'writes-went-on',
        name: 'writes went on',
        ok: writesAfterFault.onNewPrimary > 0,
        detail: `${writesAfterFault.onNewPrimary} acknowledged writes committed by ${primaryAtFault ?? 'the primary'} after the fault`,
      },
    );
  }
  const expectedPrimary = expectations.finalPrimary === 'primary' ? primaryAtFault : standbyAtFault;
  const expected =
    expectations.finalPrimary === 'either'
      ? [primaryAtFault, ...standbysAtFault].filter((n): n is string => n !== undefined)
      : expectations.finalPrimary === 'standby' && standbysAtFault.length > 1
        ? standbysAtFault
        : expectedPrimary !== undefined
          ? [expectedPrimary]
          : [];
  out.push({
    id: 'final-primary',
    name: expectations.finalPrimary === 'either' ? 'a data node of the cluster is primary at the end' : `the ${expectations.finalPrimary} at the fault is primary at the end`,
    ok: input.finalRead !== null && expected.includes(input.finalRead.node),
    detail: `expected ${expected.length ? expected.join(' or ') : '(unknown)'}, found ${input.finalRead?.node ?? 'no primary'}`,
  });
  if (expectations.maxWriteDownMs !== undefined) {
    const max = expectations.maxWriteDownMs;
    const down = writeUnavailability ? Math.max(writeUnavailability.ms, longestWriteGap?.ms ?? 0) : null;
    out.push({
      id: 'write-downtime',
      name: `writes were down at most ${max / 1000} s`,
      ok: down !== null && down <= max,
      detail: down !== null ? `down for ${(down / 1000).toFixed(2)} s at most` : 'writes never resumed',
      properties: { maxWriteDownMs: max, ...(down !== null ? { writeDownMs: down } : {}) },
    });
  }
  if (floatingIp) {
    out.push({
      id: 'floating-ip-on-primary',
      name: `the floating IP ${floatingIp.ip} is on the primary at the end`,
      ok: input.finalRead !== null && floatingIp.holder === input.finalRead.node,
      detail: `DigitalOcean assigns it to ${floatingIp.holder ?? 'nobody'}; the primary is ${input.finalRead?.node ?? 'unknown'}; the hook sent ${floatingIp.assignRequests.length} assign requests (${floatingIp.assignRequests.map((r) => r.status).join(', ') || 'none'})`,
    });
  }
  if (expectations.rejoin) {
    const heal = events.find((e) => e.type === 'heal' && faultNs !== undefined && (e.time ?? -1) >= faultNs);
    const rejoined = heal ? String(heal.node) : (faultNode ?? 'the faulted node');
    out.push({
      id: 'rejoined',
      name: `${rejoined} is back as a standby`,
      ok: heal?.role === 'standby',
      detail: heal ? `${heal.restarted ? 'restarted; ' : ''}it reported ${String(heal.role)} after ${String(heal.ms ?? '?')} ms` : 'it was not restarted',
    });
  }
  if (expectations.switchback) {
    const back = events.find((e) => e.type === 'switchback');
    const moved = back ? events.find((e) => e.type === 'endpoint' && e.action === 'move' && e.node === back.node && (e.time ?? -1) >= (back.time ?? Infinity)) : undefined;
    out.push({
      id: 'switched-back',
      name: `switched back: ${primaryAtFault ?? 'the old primary'} is primary again and holds the endpoint`,
      ok: back?.ok === true && moved !== undefined,
      detail: back
        ? back.ok
          ? `repmgr standby switchover on ${String(back.node)}; the endpoint followed ${moved && back.time !== undefined ? `${nsToMs(moved.time! - back.time)} ms after it was asked for` : 'never'}`
          : String(back.error ?? 'the endpoint did not follow')
        : 'no switchback was attempted',
    });
  }
  return { checks: out, result: { expectations } };
}
