import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { defineCluster, hostAddress, subnetsOverlap } from './spec.ts';

describe('defineCluster', () => {
  it('describes node1 primary, node2 standby, node3 witness, with ports and addresses from the options', () => {
    const spec = defineCluster({ name: 'drill', portBase: 20000, appPort: 20100, backSubnet: '10.1.0.0/24', frontSubnet: '10.2.0.0/24' });
    expect(spec.nodes.map((n) => [n.name, n.initialRole, n.hostPort, n.backIp, n.frontIp, n.priority])).toEqual([
      ['node1', 'primary', 20000, '10.1.0.11', '10.2.0.11', 100],
      ['node2', 'standby', 20001, '10.1.0.12', '10.2.0.12', 100],
      ['node3', 'witness', 20002, '10.1.0.13', '10.2.0.13', 0],
    ]);
    expect(spec.app).toEqual({ hostPort: 20100, frontIp: '10.2.0.20', start: true });
    expect(defineCluster({ name: 'drill', app: false }).app.start).toBe(false);
    // The dsql app's stand-in: next to the app on the client network, its counts on the port after the simulator's.
    expect(spec.dsqlStandIn).toEqual({ frontIp: '10.2.0.21', statsPort: 20102 });
    expect(spec.replication).toBe('sync');
    expect(spec.timing).toEqual({ monitorIntervalSecs: 1, reconnectAttempts: 2, reconnectInterval: 0 });
  });

  it.each([
    [{ name: 'Bad_Name' }, /cluster name "Bad_Name"/],
    [{ portBase: 80 }, /port base must be a port from 1024/],
    [{ portBase: 15432, appPort: 15433 }, /collides with the node ports/],
    [{ backSubnet: '10.0.0.0/24', frontSubnet: '10.0.0.128/25' }, /overlap/],
    [{ backSubnet: '10.0.0.5/24' }, /host bits set; did you mean 10.0.0.0\/24/],
    [{ frontSubnet: 'banana' }, /not an IPv4 CIDR/],
    [{ frontSubnet: '10.0.0.0/8' }, /prefix from \/16 to \/28/],
    [{ appProfile: 'dsql' as const, tls: true }, /--app dsql talks to its local DSQL stand-in without TLS: leave out --tls/],
    [{ appProfile: 'dsql' as const, client: 'my-client.ts' }, /--app dsql is flipdrill's app on its DSQL profile: it does not go with a client module/],
    [{ appProfile: 'dsql' as const, portBase: 20000, appPort: 19999 }, /the DSQL stand-in port 20001 \(app port \+ 2\) collides with the node ports 20000-20002/],
    [{ appProfile: 'dsql' as const, appPort: 65534 }, /the DSQL stand-in port \(app port \+ 2\) must be a port/],
  ])('rejects %o with one clear message', (options, message) => {
    expect(() => defineCluster(options)).toThrow(ConfigError);
    expect(() => defineCluster(options)).toThrow(message);
  });
});

describe('subnets', () => {
  it('knows when two networks overlap', () => {
    expect(subnetsOverlap('10.213.1.0/24', '10.213.0.0/16')).toBe(true);
    expect(subnetsOverlap('10.213.1.0/24', '10.213.2.0/24')).toBe(false);
    expect(subnetsOverlap('172.17.0.0/16', '172.17.5.0/24')).toBe(true);
  });

  it.each([
    ['0.0.0.0/16', 'the unspecified network 0.0.0.0/8'],
    ['127.0.0.0/16', 'loopback 127.0.0.0/8'],
    ['169.254.0.0/16', 'link-local 169.254.0.0/16'],
    ['224.0.0.0/16', 'multicast 224.0.0.0/4'],
    ['239.255.0.0/24', 'multicast 224.0.0.0/4'],
    ['240.0.0.0/16', 'reserved 240.0.0.0/4'],
  ])('refuses %s, a network a cluster cannot use, in one line', (subnet, what) => {
    expect(() => defineCluster({ backSubnet: subnet })).toThrow(`subnet "${subnet}" is in ${what}`);
    expect(() => defineCluster({ frontSubnet: subnet })).toThrow(ConfigError);
  });

  it('takes private and other unicast networks', () => {
    expect(defineCluster({ backSubnet: '172.30.0.0/16', frontSubnet: '192.168.77.0/24' }).backSubnet).toBe('172.30.0.0/16');
  });

  it('counts host addresses from the network address', () => {
    expect(hostAddress('10.213.2.0/24', 1)).toBe('10.213.2.1');
    expect(hostAddress('10.213.2.0/24', 20)).toBe('10.213.2.20');
  });
});

describe('several standbys', () => {
  it('makes node2.. standbys and the last node the witness, with a port and addresses each', () => {
    const spec = defineCluster({ standbys: 4, portBase: 30000, appPort: 30010 });
    expect(spec.nodes.map((n) => `${n.name}:${n.initialRole}:${n.hostPort}:${n.backIp}`)).toEqual([
      'node1:primary:30000:10.213.1.11',
      'node2:standby:30001:10.213.1.12',
      'node3:standby:30002:10.213.1.13',
      'node4:standby:30003:10.213.1.14',
      'node5:standby:30004:10.213.1.15',
      'node6:witness:30005:10.213.1.16',
    ]);
    expect(spec.nodes.at(-1)!.priority).toBe(0);
  });

  it('refuses 0 or 5 standbys, and an app port among the node ports, in one line', () => {
    expect(() => defineCluster({ standbys: 5 })).toThrow('standbys must be a whole number from 1 to 4, not 5');
    expect(() => defineCluster({ standbys: 0 })).toThrow('standbys must be a whole number from 1 to 4, not 0');
    expect(() => defineCluster({ standbys: 3, portBase: 30000, appPort: 30004 })).toThrow('the app port 30004 collides with the node ports 30000-30004');
  });
});
