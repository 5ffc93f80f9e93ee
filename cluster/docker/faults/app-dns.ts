/**
 * The app's DNS blocked: a rule in the app container's own network namespace, added from a helper
 * container (`<app>-netfault`) that shares that namespace.
 */
import type { ExecResult } from '../docker-client.ts';
import { ClusterError } from '../../errors.ts';
import { names, projectLabels } from '../../spec.ts';
import type { AppDnsCapability } from '../../target.ts';
import type { NodeContainers } from './node-containers.ts';

/** The iptables chain that blocks the app's DNS, in the app's network namespace. */
const DNS_CHAIN = 'FLIPDRILL-DNS';

export function dockerAppDns(on: NodeContainers): AppDnsCapability {
  const { spec, docker } = on;
  const helper = `${names.appContainer(spec)}-netfault`;

  async function inAppNetwork(script: string): Promise<ExecResult> {
    const app = names.appContainer(spec);
    const state = await docker.inspectContainer(helper);
    if (!state?.running) {
      if (state) await docker.removeContainer(helper);
      const node = await docker.inspectContainer(on.containerOf(spec.nodes[0]!.name));
      if (!node) throw new ClusterError(`no node container to take the helper's image from`);
      await docker.createContainer({
        name: helper,
        hostname: helper,
        image: node.image,
        env: {},
        labels: projectLabels(spec.name),
        publish: {},
        networks: [],
        networkOf: app,
        capAdd: ['NET_ADMIN'],
        entrypoint: ['bash', '-c', 'trap "exit 0" TERM; while :; do sleep 3600 & wait $!; done'],
        stopTimeoutSecs: 1,
      });
      await docker.startContainer(helper);
    }
    return docker.exec(helper, ['bash', '-c', script]);
  }

  return {
    /**
     * The app's DNS server (Docker's, at 127.0.0.11 in every container on a user network) refuses it:
     * a rule in the app's own network namespace, added from a helper container that shares that
     * namespace (from the node image, which has iptables, with NET_ADMIN), so the app, yours or
     * flipdrill's, needs neither. Its open connections live on; a new one cannot resolve the endpoint.
     */
    async blockAppDns() {
      const result = await inAppNetwork([`iptables -w -N ${DNS_CHAIN} 2>/dev/null || iptables -w -F ${DNS_CHAIN}`, `iptables -w -A ${DNS_CHAIN} -d 127.0.0.11/32 -j REJECT`, `iptables -w -C OUTPUT -j ${DNS_CHAIN} 2>/dev/null || iptables -w -I OUTPUT -j ${DNS_CHAIN}`].join('\n'));
      if (result.exitCode !== 0) throw new ClusterError(`could not block the app's DNS: ${(result.stderr || result.stdout).trim()}`);
    },
    async unblockAppDns() {
      const app = await docker.inspectContainer(names.appContainer(spec));
      if (app?.running) {
        const result = await inAppNetwork([`while iptables -w -D OUTPUT -j ${DNS_CHAIN} 2>/dev/null; do :; done`, `iptables -w -F ${DNS_CHAIN} 2>/dev/null || true`, `iptables -w -X ${DNS_CHAIN} 2>/dev/null || true`].join('\n'));
        if (result.exitCode !== 0) throw new ClusterError(`could not unblock the app's DNS: ${(result.stderr || result.stdout).trim()}`);
      }
      if (await docker.inspectContainer(helper)) await docker.removeContainer(helper);
    },
    /** The app is no node: whichever nodes are asked about, the helper is named while it is there (the unblock removes it). */
    async leftovers() {
      return (await docker.inspectContainer(helper)) ? [`the helper ${helper} is still there`] : [];
    },
  };
}
