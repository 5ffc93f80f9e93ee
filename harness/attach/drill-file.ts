/**
 * One drill of a cluster flipdrill did not build, from its cluster file: what
 * `flipdrill drill --cluster <file>` runs and the managers bench runs again and again.
 *
 *   attach (each node's driver, the manager) → the plan (refused when the cluster cannot take a
 *   scenario) → confirmation → the nodes' own addresses → the drill, through a ForeignCluster
 *   writing only into its own schema → the app stopped → wait until the cluster is whole again as
 *   its manager sees it → drop the schema (unless kept) → undo.log and commands.log in the run folder
 *
 * Nothing here prints or exits: what happened is returned, and the caller says it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileSafely } from '../../cluster/lib/safe-write.ts';
import path from 'node:path';
import { createLogger, ForeignCluster, learnFacts, waitFor, WaitTimeoutError, type AppProfile, type ClientModule, type ForeignAppImage, type ForeignClusterFile } from '../../cluster/index.ts';
import { runDrill, type DrillOptions, type DrillOutcome } from '../drill.ts';
import type { Scenario } from '../scenario.ts';
import { attachFile } from './attach-file.ts';
import { dryRun, type DryRun } from './dry-run.ts';

/** How long the cluster has to be whole again after the drill, as its manager sees it. */
export const WHOLE_WITHIN_MS = 180_000;

export interface FileDrillOptions {
  file: ForeignClusterFile;
  /** The scenarios as they run on this cluster (forForeignCluster): one, or several taking turns. */
  scenarios: Scenario[];
  /** The rest of the drill's options (the scenarios, signal, connect and onRunFolder are set here). */
  drill: Omit<DrillOptions, 'connect' | 'onRunFolder'>;
  /** The app that runs here and writes through the file's endpoint. */
  appProfile: AppProfile;
  /** A client module of yours (--client, prepared), run here by the client host in the app's place. */
  client?: ClientModule;
  /** Your app's image (--app-image), run on this machine's network in the app's place. */
  appImage?: ForeignAppImage;
  signal?: AbortSignal;
  /** A step before the drill's own (the schema, the app). */
  step: (line: string) => void;
  /** A line for the person: the wait until whole, the schema dropped or not. */
  say: (line: string) => void;
  /** The plan, nothing refused: go on? It may throw (no terminal to ask on). Absent: go on. */
  confirm?: (plan: DryRun) => Promise<boolean>;
  /** When the drill has ended, before the wait until whole (the CLI ends its progress display). */
  afterDrill?: () => void;
  /** Keep the drill's schema. */
  keep?: boolean;
  wholeWithinMs?: number;
}

export interface FileDrillResult {
  /** The plan, once the cluster was looked at. */
  plan?: DryRun;
  /** A scenario the cluster cannot take, or a problem that keeps any drill from starting. */
  refused?: { problems: string[]; scenario?: { scenario: string; why: string } };
  /** The plan was not confirmed: nothing was done. */
  notConfirmed?: boolean;
  /** The drill's run folder, once it exists. */
  runDir?: string;
  outcome?: DrillOutcome;
  /** What stopped the drill (an interruption included), if something did. */
  failure?: unknown;
  /** The drill reached the cluster (the schema and the app): the wait until whole ran. */
  reached: boolean;
  /** The wait until whole stopped with an error other than its deadline. */
  wholeError?: unknown;
  /** What keeps the cluster from being whole after the wait, one line; absent: whole (or not reached). */
  notWhole?: string;
  /** The drill's schema was dropped. */
  dropped?: boolean;
  dropError?: string;
}

/** What the drill did and undid, from its events, for the run folder's undo.log. */
function undoLog(runDir: string): string[] {
  const lines: string[] = [];
  const file = path.join(runDir, 'events.jsonl');
  if (!existsSync(file)) return lines;
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const e = JSON.parse(line) as Record<string, unknown>;
    const at = new Date(Number(e.wall)).toISOString();
    if (e.type === 'fault') lines.push(`${at} fault ${String(e.kind)} on ${String(e.node)}: ${String(e.detail ?? '')}`);
    if (e.type === 'heal') lines.push(`${at} heal ${String(e.node)}${e.restarted ? `: started again, back as ${String(e.role)} after ${String(e.ms)} ms` : ': fault undone'}`);
    if (e.type === 'switchback') lines.push(`${at} switchback to ${String(e.node)}: ${e.ok ? 'done' : String(e.error ?? 'failed')}`);
  }
  return lines;
}

/** One drill of the file's cluster; whatever happens, the app stops, the wait until whole runs and the schema goes. */
export async function drillFile(o: FileDrillOptions): Promise<FileDrillResult> {
  const { file, scenarios, client } = o;
  const wholeWithinMs = o.wholeWithinMs ?? WHOLE_WITHIN_MS;
  const commandOutput: string[] = [];
  const attachment = await attachFile(file, {
    logger: createLogger({ level: 'silent' }),
    onOutput: (node, command, stdout, stderr) => commandOutput.push(`## ${new Date().toISOString()} ${node} ${command}`, stdout.trimEnd(), stderr.trimEnd()),
  });
  const result: FileDrillResult = { reached: false };
  let foreign: ForeignCluster | undefined;
  try {
    // What every step will run, before anything runs; refuse what cannot be drilled here.
    const plan = await dryRun(file, attachment.faults, scenarios, attachment.manager);
    result.plan = plan;
    const refused = plan.refused[0];
    if (plan.discovery.problems.length || refused) {
      result.refused = { problems: plan.discovery.problems, ...(refused ? { scenario: refused } : {}) };
      return result;
    }
    if (o.confirm && !(await o.confirm(plan))) {
      result.notConfirmed = true;
      return result;
    }
    const facts = await learnFacts(file);
    result.outcome = await runDrill({
      ...o.drill,
      scenario: scenarios[0]!,
      rotation: scenarios.length > 1 ? scenarios : undefined,
      ...(o.signal ? { signal: o.signal } : {}),
      onRunFolder: (run) => (result.runDir = run.dir),
      connect: async () => {
        foreign = new ForeignCluster(file, facts, {
          faults: attachment.faults,
          ...(attachment.manager ? { manager: attachment.manager } : {}),
          ...(result.runDir ? { appLogFile: path.join(result.runDir, 'app.log') } : {}),
          ...(client ? { client: { module: path.join(client.mount, path.posix.relative('/client', client.inContainer)), name: client.name, user: client.user } } : {}),
          ...(o.appImage ? { appImage: o.appImage } : {}),
        });
        o.step(`creating the drill's schema flipdrill in ${facts.database}, through ${foreign.endpoint.address}`);
        await foreign.createSchema();
        const app = client ? `your client module ${client.name} in the client host` : o.appImage ? `your app image ${o.appImage.image} (container ${o.appImage.name}, on this machine's network)` : 'the app';
        o.step(`starting ${app} here, writing through ${foreign.endpoint.address} into schema flipdrill`);
        try {
          await foreign.useAppProfile(o.appProfile, o.signal);
        } finally {
          // The client host imports the module once, at its start: its bundle can go.
          client?.dispose();
        }
        return foreign;
      },
    });
  } catch (error) {
    result.failure = error;
  } finally {
    o.afterDrill?.();
    // Whatever happened: the app stops, the cluster must be whole again, the schema goes.
    if (foreign) {
      result.reached = true;
      await foreign.release();
      const seenBy = attachment.manager ? `as ${attachment.manager.name} sees it` : 'by SQL';
      o.say(`waiting until ${file.name} is whole again ${seenBy} (every node back, one primary, replicas streaming)`);
      let last: string[] = [];
      try {
        await waitFor(`${file.name} whole again`, async () => (last = await foreign!.wholeness()).length === 0, { timeoutMs: wholeWithinMs, intervalMs: 1000 });
        o.say(`${file.name} is whole again ${seenBy}`);
      } catch (error) {
        if (!(error instanceof WaitTimeoutError)) result.wholeError = error;
        else result.notWhole = last.join('; ') || 'it did not say';
      }
      if (!o.keep) {
        await foreign
          .dropSchema()
          .then((dropped) => {
            result.dropped = dropped;
            if (dropped) o.say(`dropped the drill's schema flipdrill`);
          })
          .catch((e: Error) => (result.dropError = e.message));
      }
    }
    await attachment.close();
    if (result.runDir) {
      const lines = [...undoLog(result.runDir), result.notWhole ? `NOT WHOLE after ${wholeWithinMs / 1000} s: ${result.notWhole}` : foreign ? 'whole again' : 'the drill did not start'];
      writeFileSafely(path.join(result.runDir, 'undo.log'), `${lines.join('\n')}\n`);
      if (commandOutput.length) writeFileSafely(path.join(result.runDir, 'commands.log'), `${commandOutput.join('\n')}\n`);
    }
  }
  return result;
}
