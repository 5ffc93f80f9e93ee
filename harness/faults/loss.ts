/** loss: a share of the node's packets dropped each way; it answers after retransmissions. */
import { shapeNemesis } from './network-shape.ts';
import { defineFault, endures, NODE_ROLES } from './types.ts';

export default defineFault({
  kind: 'loss',
  summary: "a share of the node's packets dropped each way",
  roles: NODE_ROLES,
  needs: ['network-shape'],
  options: {
    lossPct: { type: 'number', min: 0.1, max: 100, default: 1, doc: 'percentage of packets dropped each way' },
  },
  schedule: { roles: ['primary', 'standby'], options: () => ({ lossPct: 1 }), ...endures, background: true },
  describe: ({ cluster, node }, { lossPct }) => cluster.capabilities['network-shape'].describe(node, { lossPct }),
  nemesis: ({ lossPct }) => shapeNemesis('loss', { lossPct }),
});
