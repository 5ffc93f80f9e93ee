/**
 * `npm run bench`: how fast failover really is, what each layer costs; measured, not asserted
 * (machines are shared and noisy; tests check correctness, this measures speed).
 *
 * Suites (--suites, comma-separated; default configs,scale,layers):
 *   configs    kill-primary drills per configuration: the baseline (fast timing, sync replication,
 *              aware app, Docker alias; --baseline-drills, default 20) and one change at a time
 *              (--drills each, default 5): repmgr's default timing, async replication, the naive
 *              app, the virtual IP, the DigitalOcean floating IP through the simulator. Median, p95
 *              and worst of promotion, endpoint move, write unavailability (clients and database
 *              stamps, and a plain psql loop through the same endpoint beside the app, each attempt
 *              cut at 0.5 s), lost writes; bring-up from cached images (--bring-ups, default 3) and
 *              a cold image build (unless --no-cold).
 *   scale      the baseline drill with 1, 16 and 64 concurrent clients (window, throughput before
 *              the fault, flipdrill's memory and the app container's memory), and with 1, 2 and 4
 *              standbys (promotion, window, bring-up).
 *   layers     inserts through the app's Sequelize layer and through raw pg on the same primary,
 *              in alternating rounds (--layer-seconds, --layer-rounds); flipdrill's own overhead
 *              (operations a second it records with the app out of the loop).
 *   sessions   on two standbys, sessions writing a row and reading their own rows back through the
 *              aware layer with DB_SESSION_CONSISTENCY position and off, in alternating rounds
 *              (--layer-seconds, --layer-rounds): reads a second, read latency, where reads were
 *              answered, and each standby's staleness (reads that missed the session's own write).
 *   scenarios  every built-in scenario --scenarios N times (--only name,name): PASS count, windows,
 *              where the time goes, and each drill's time from start to verdict.
 *   hand-kill  the cluster on its own: no drill, no flipdrill process watching; a plain psql loop in
 *              a container on the application network inserts through pg-primary (each attempt
 *              cut at 0.5 s) while the primary's container is killed by hand (--hand-kills N,
 *              default 3, on one cluster; the killed node is started again between kills). How
 *              long writes stopped, and when pg-primary resolved to the new primary alone. The
 *              cluster comes from the library, or from docker-compose.yml (--hand-kill-cluster
 *              compose: `docker compose up --build` with flipdrill's local base image).
 *
 *   tuning     the detection-tuning study (harness/bench/tuning.ts): per timing profile (--profiles,
 *              default repmgr-defaults,fast,faster), the primary frozen under load for each stall of
 *              --stalls (default 0.5,1,2,3,5 s) --tuning-runs times (default 5), then thawed: did a
 *              standby get promoted, how long did writes stop; and each profile's kill and freeze
 *              windows (--tuning-windows drills each, default 3). Writes tuning.svg beside bench.md.
 *   managers   HA managers side by side through cluster files (harness/bench/suites/managers.ts):
 *              --managers repmgr,patroni,patroni-tuned,pgaf (flipdrill's repmgr with the fast profile,
 *              Patroni with its defaults and tuned, pg_auto_failover with its defaults), each fault
 *              of --manager-faults (default kill-primary,freeze-primary,partition-primary)
 *              --manager-drills times (default 10) with each replication of --manager-replication
 *              (default sync,async): writes down, failovers, lost writes, and why a manager did not
 *              fail over (its own events or log). Writes managers.svg beside bench.md.
 *
 * --load-minutes N (default 0: none) measures on a busy machine: the loaded soak's load generator
 * (a CPU spinner a core and an fsync writer) runs for the whole bench, at most N minutes.
 *
 * Writes bench.json and bench.md into runs/bench-<time>/ and prints the Markdown.
 * Uses its own cluster name, ports and subnets, so a cluster you have running is left alone.
 */
import { describeError, FlipdrillError, removeClusters } from '../cluster/index.ts';
import { parseBenchArgs } from './bench/args.ts';
import { BASE } from './bench/configurations.ts';
import { startLoad, stopOnSignals, type Load } from './bench/load.ts';
import { markdownText, openBench, save } from './bench/session.ts';
import * as configs from './bench/suites/configs.ts';
import * as handKill from './bench/suites/hand-kill.ts';
import * as layers from './bench/suites/layers.ts';
import * as sessions from './bench/suites/sessions.ts';
import * as managersSuite from './bench/suites/managers.ts';
import * as scale from './bench/suites/scale.ts';
import * as scenarios from './bench/suites/scenarios.ts';
import * as tuning from './bench/suites/tuning.ts';

// A known failure (no compose tool, a port taken, a cluster in the way) in one line with its hint;
// anything else with its stack, which is what a bug report needs.
process.on('uncaughtException', (error) => {
  process.stderr.write(`bench: ${error instanceof FlipdrillError ? describeError(error) : (error.stack ?? String(error))}\n`);
  process.exit(1);
});

const args = parseBenchArgs();
const { suites, loadMinutes } = args;
const bench = await openBench(args);
const { docker, logger, builder, say, results, markdown } = bench;

// On a busy machine, if asked: the loaded soak's load generator for the whole bench (at most
// --load-minutes), started once the images are there, so a cold build is not what it slows.
let load: Load | undefined;
if (loadMinutes > 0) {
  await builder.ensureAll();
  load = startLoad(loadMinutes * 60_000);
  stopOnSignals(load);
  process.on('exit', () => load?.stop());
  results.load = { minutes: loadMinutes, what: 'one CPU spinner a core and a writer fsyncing 256 MB at a time (harness/bench/load.ts)' };
  markdown.push(`Under load: one CPU spinner a core and a writer fsyncing 256 MB at a time, for at most ${loadMinutes} min (harness/bench/load.ts).`, '');
  say(`load started for at most ${loadMinutes} min`);
}

if (suites.includes('configs')) await configs.run(bench);
save(bench);
if (suites.includes('scale')) await scale.run(bench);
save(bench);
if (suites.includes('layers')) await layers.run(bench);
if (suites.includes('sessions')) await sessions.run(bench);
save(bench);
if (suites.includes('scenarios')) await scenarios.run(bench);
if (suites.includes('hand-kill')) await handKill.run(bench);
if (suites.includes('tuning')) await tuning.run(bench);
if (suites.includes('managers')) await managersSuite.run(bench);

save(bench);
process.stdout.write(markdownText(bench));
await removeClusters(docker, logger, BASE.name);
load?.stop();
