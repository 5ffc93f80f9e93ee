/** latency: every packet the node sends is delayed (with jitter); the node answers, slowly. */
import { shapeNemesis } from './network-shape.ts';
import { defineFault, endures, NODE_ROLES } from './types.ts';

export default defineFault({
  kind: 'latency',
  summary: 'every packet the node sends delayed, with jitter',
  roles: NODE_ROLES,
  needs: ['network-shape'],
  options: {
    delayMs: { type: 'number', min: 1, max: 30_000, default: 100, doc: 'milliseconds added to every packet the node sends' },
    jitterMs: { type: 'number', min: 0, max: 30_000, default: 0, doc: 'how much the delay varies either way' },
  },
  validate(spec, fail) {
    if (spec.jitterMs > spec.delayMs) fail('fault.jitterMs must not be more than fault.delayMs');
  },
  schedule: { roles: ['primary', 'standby'], options: () => ({ delayMs: 100, jitterMs: 20 }), ...endures, background: true },
  describe: ({ cluster, node }, { delayMs, jitterMs }) => cluster.capabilities['network-shape'].describe(node, { delayMs, jitterMs }),
  nemesis: ({ delayMs, jitterMs }) => shapeNemesis('latency', { delayMs, jitterMs }),
});
