/**
 * The checker: a pure function from what a drill recorded (the history, the cluster events, the
 * final read of the new primary) to a verdict. It never touches the cluster, so `flipdrill check`
 * re-runs it on a stored run, and its tests are literal histories.
 *
 * It is composed of small pure parts (parts/), each with its checks (stable ids) and its figures:
 *   workloadRanPart    the workload got writes acknowledged
 *   failoverPart       the fault, promotion, endpoint move, downtime (clients and database)
 *   expectationsPart   what the scenario says must have happened, against those figures
 *   setAlgebraPart     lost, recovered, unexpected, contradicted, duplicated; the recovery point
 *   readsPart          stale reads (reported) and impossible reads
 *   sessionsPart       read-your-writes and monotonic reads per session, reads from a replaced
 *                      timeline, each node's staleness; FAIL only where the app profile promised
 *   splitBrainPart     overlapping tenures of two primaries
 *   clocksPart         the data nodes' clocks agree, or the scenario set one off
 *   workloadPart       the workload's own checker (the bank's balances)
 *   dsqlPart           the Aurora DSQL stand-in refused none of the app's statements
 * all reading one RunFacts (factsOf, facts.ts). The workload's `mutation` is what they call writes.
 * Its input and result types are in types.ts, the history's pairing in history.ts.
 *
 * Set algebra over write ids, as in Jepsen's set checker, and more:
 *   lost          acknowledged (ok) writes missing from the final state
 *   recovered     unknown (info) writes present in the final state (not an anomaly)
 *   unexpected    values in the final state that nobody tried to write
 *   contradicted  writes answered `fail` that are present anyway: the error classification is wrong
 *   duplicated    a value present more than once in the final state
 *   stale reads   a read that missed a write acknowledged before the read began (reported: replicas lag)
 *   read anomalies a read that found a value nobody wrote, a value whose write was answered
 *                 `fail`, or a value whose write had not been invoked when the read was answered
 *   split brain   two primaries committing acknowledged writes at overlapping times: a node on
 *                 one timeline still committing after another node (on any timeline, the same
 *                 one included: two standbys promoted together) began to
 * Times derived from them are never negative: the database downtime is 0 when the old primary
 * went on committing after the new one began (that overlap is the split brain), and the recovery
 * point of a loss in the middle of a run counts from the last surviving commit before the first
 * lost one.
 * Downtime is measured twice: by the clients (the last ok write before writes stopped to the first
 * ok write by the primary after the fault) and by the database (CloudNativePG's way: last commit on the old timeline to first
 * commit on the new one, from the rows' own clock_timestamp() and timeline stamps).
 */

import { factsOf } from './facts.ts';
import { clocksPart } from './parts/clocks.ts';
import { dsqlPart } from './parts/dsql.ts';
import { expectationsPart } from './parts/expectations.ts';
import { failoverPart } from './parts/failover.ts';
import { readsPart } from './parts/reads.ts';
import { sessionsPart } from './parts/sessions.ts';
import { setAlgebraPart } from './parts/set-algebra.ts';
import { splitBrainPart } from './parts/split-brain.ts';
import { workloadPart } from './parts/workload.ts';
import { workloadRanPart } from './parts/workload-ran.ts';
import type { CheckInput, CheckResult } from './types.ts';

/**
 * The checker: the parts above, composed. Each part is a small pure function of the run's facts
 * (the failover's expectations also of the failover's figures); the verdict is PASS when every
 * check of every part holds.
 */
export function check(input: CheckInput, lines?: readonly number[]): CheckResult {
  const facts = factsOf(input, lines);
  const ran = workloadRanPart(facts);
  const failover = failoverPart(facts);
  const expected = expectationsPart(facts, failover.result);
  const set = setAlgebraPart(facts);
  const reads = readsPart(facts);
  const sessions = sessionsPart(facts);
  const splitBrain = splitBrainPart(facts);
  const clocks = clocksPart(facts);
  const own = workloadPart(facts);
  const dsql = dsqlPart(facts);
  const checks = [ran, failover, expected, set, reads, sessions, splitBrain, clocks, own, dsql].flatMap((p) => p.checks);
  return {
    verdict: checks.every((c) => c.ok) ? 'PASS' : 'FAIL',
    checks,
    ...ran.result,
    ...failover.result,
    ...expected.result,
    ...set.result,
    ...reads.result,
    ...sessions.result,
    ...splitBrain.result,
    ...clocks.result,
    ...own.result,
    ...dsql.result,
  };
}
