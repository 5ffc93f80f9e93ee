/**
 * The node's clock runs this many seconds off (libfaketime; cluster/clock.ts): its commit stamps,
 * repmgr's event times and logs say so. Replication and repmgr's failure detection time with
 * monotonic clocks and do not care; the checker's stamp-based figures do, and it must say it
 * cannot trust them rather than report a wrong number. `thenKillPrimary`: the clock of a standby
 * is set off, then the primary is killed, so the node promoted commits on the wrong clock.
 */
import { defineFault, endures, NODE_ROLES, timed, type FaultTargets } from './types.ts';
import type { FaultsWith } from '../../cluster/index.ts';

export default defineFault({
  kind: 'clock-skew',
  summary: "the node's clock set off (libfaketime in flipdrill's containers)",
  roles: NODE_ROLES,
  needs: ['clock'],
  options: {
    offsetSecs: { type: 'number', min: -86_400, max: 86_400, default: 30, nonZero: true, doc: "seconds the node's clock is set off (negative: behind)" },
    thenKillPrimary: { type: 'boolean', default: false, doc: 'kill the primary once the clock of the target (a standby) is off' },
  },
  validate(spec, fail) {
    if (spec.thenKillPrimary && spec.target !== 'standby') fail('fault.thenKillPrimary kills the primary after the clock-skew on a standby: fault.target must be standby');
  },
  setsClocks: true,
  cluster: { fakeClock: true },
  // Ahead on the primary, behind on a standby: whichever is promoted next commits on a wrong clock.
  schedule: { roles: ['primary', 'standby'], options: (target) => ({ offsetSecs: target === 'primary' ? 30 : -30, thenKillPrimary: false }), ...endures, background: true },
  nemesis({ offsetSecs, thenKillPrimary }) {
    const undo = ({ cluster, node }: FaultTargets<FaultsWith<'clock'>>) => cluster.capabilities.clock.unskewClock(node);
    const undoing = ({ node }: FaultTargets) => `setting ${node}'s clock right`;
    const how = (node: string) => `${node}'s clock set ${Math.abs(offsetSecs)} s ${offsetSecs > 0 ? 'ahead' : 'behind'} (libfaketime)`;
    if (!thenKillPrimary) return { kind: 'clock-skew', inject: ({ cluster, node }) => timed('clock-skew', node, how(node), () => cluster.capabilities.clock.skewClock(node, offsetSecs)), undo, undoing };
    return {
      kind: 'clock-skew',
      prepare: {
        // libfaketime reads the offset again within a second.
        holdMs: 2000,
        async run({ cluster, node }) {
          await cluster.capabilities.clock.skewClock(node, offsetSecs);
          return how(node);
        },
      },
      inject: ({ cluster, node, primary }) => timed('clock-skew', primary, `${cluster.describeFault('kill', primary, 'SIGKILL')}, with ${how(node)}`, () => cluster.kill(primary, 'SIGKILL')),
      undo,
      undoing,
      down: ({ primary }) => primary,
    };
  },
});
