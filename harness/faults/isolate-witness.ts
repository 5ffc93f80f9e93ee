/**
 * The witness cut off from every other node and the app, both ways, for as long as the fault
 * holds. The witness only votes: with the primary and its standby talking to each other, nothing
 * may happen (no promotion, writes never stop), and the witness comes back as a witness.
 */
import { defineFault, endures, timed } from './types.ts';

export default defineFault({
  kind: 'isolate-witness',
  summary: 'the witness alone cut off from every other node, both ways: nothing may happen',
  roles: ['witness'],
  rolesBecause: 'it isolates the witness',
  needs: ['partition'],
  options: {},
  schedule: { roles: ['witness'], ...endures },
  describe: ({ cluster, node }) => `the witness alone cut off: ${cluster.capabilities.partition.describe(node)}`,
  nemesis: () => ({
    kind: 'isolate-witness',
    inject: ({ cluster, node }) => timed('isolate-witness', node, `the witness alone cut off: ${cluster.capabilities.partition.describe(node)}`, () => cluster.capabilities.partition.partition(node)),
    undo: ({ cluster, node }) => cluster.capabilities.partition.heal(node),
    undoing: ({ node }) => `reconnecting the witness ${node}`,
  }),
});
