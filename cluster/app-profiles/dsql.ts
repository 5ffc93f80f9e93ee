/**
 * flipdrill's app on the aware layer's Aurora DSQL profile (DB_PLATFORM=dsql), through a local
 * DSQL stand-in (cluster/dsql/stand-in.ts) in a container in front of the endpoint: it refuses
 * what Aurora DSQL refuses and answers write conflicts as DSQL does (OC000). The stand-in's
 * container: cluster/docker/containers/dsql-stand-in.ts.
 *
 * Its extra check is the checker's dsql part (harness/checker/parts/dsql.ts), which reads the
 * dsql-stand-in event the stand-in's counts make: the drill fails on any statement refused.
 */
import { ConfigError } from '../errors.ts';
import { dsqlAppEnv, dsqlStandInCounts, startDsqlStandInContainer, type DsqlStandInCounts } from '../docker/containers/dsql-stand-in.ts';
import type { AppProfileKind, FrontContainer } from './profile.ts';

/** The DSQL stand-in, started with the cluster before the app; its counts are this drill's event. */
const standIn: FrontContainer<DsqlStandInCounts> = {
  title: 'DSQL stand-in',
  role: 'dsql',
  starting: 'starting the DSQL stand-in in front of the endpoint (it refuses what Aurora DSQL refuses)',
  hostPorts: (spec) => [spec.dsqlStandIn.statsPort],
  start: startDsqlStandInContainer,
  counts: dsqlStandInCounts,
  // The stand-in counts from its start: a drill's counts are the difference.
  event(after, before) {
    const refused = Object.fromEntries(Object.entries(after.refused).map(([rule, n]) => [rule, n - (before?.refused[rule] ?? 0)]).filter(([, n]) => Number(n) > 0));
    return { type: 'dsql-stand-in', refused, conflicts: after.conflicts - (before?.conflicts ?? 0), sessions: after.sessions - (before?.sessions ?? 0) };
  },
};

export const dsql: AppProfileKind<'dsql'> = {
  name: 'dsql',
  offered: true,
  // Its rows are stamped 'dsql' (Aurora DSQL has no node names): no stamp names a node.
  nodeStamps: false,
  // One endpoint, no replicas: every read sees every acknowledged write.
  sessionGuarantees: ['read-your-writes', 'monotonic-reads'],
  // The aware app on the DSQL platform.
  recognise: (env) => env.DB_PLATFORM === 'dsql',
  checkOptions({ options, spec, nodePorts, checkPort }) {
    const port = spec.dsqlStandIn.statsPort;
    checkPort('the DSQL stand-in port (app port + 2)', port);
    if (options.client || options.appImage) throw new ConfigError('--app dsql is flipdrill\'s app on its DSQL profile: it does not go with a client module or an app image of yours');
    if (options.tls) throw new ConfigError('--app dsql talks to its local DSQL stand-in without TLS: leave out --tls');
    if (port >= nodePorts.first && port <= nodePorts.last) throw new ConfigError(`the DSQL stand-in port ${port} (app port + 2) collides with the node ports ${nodePorts.first}-${nodePorts.last}`);
  },
  appEnv: ({ app }) => dsqlAppEnv(app),
  frontContainer: standIn,
};
