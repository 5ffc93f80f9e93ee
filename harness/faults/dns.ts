/**
 * The app cannot resolve names for a while (its DNS server refuses it), then can. Its open
 * connections go on working; any new one (a pool growing, a reconnect after an error) fails to
 * resolve the endpoint until the undo. `node` is "app".
 */
import { defineFault, timed } from './types.ts';

export default defineFault({
  kind: 'dns',
  summary: "the app's DNS server refuses it: new connections cannot resolve the endpoint",
  roles: ['app'],
  rolesBecause: 'it is the app that cannot resolve',
  needs: ['app-dns'],
  options: {},
  nemesis: () => ({
    kind: 'dns',
    inject: ({ cluster }) => timed('dns', 'app', "the app's DNS server refuses it (iptables in the app's network namespace: REJECT to 127.0.0.11)", () => cluster.capabilities['app-dns'].blockAppDns()),
    undo: ({ cluster }) => cluster.capabilities['app-dns'].unblockAppDns(),
    undoing: () => 'letting the app resolve names again',
  }),
});
