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
    expect(spec.app).toEqual({ hostPort: 20100, frontIp: '10.2.0.20' });
    expect(spec.replication).toBe('sync');
    expect(spec.timing).toEqual({ monitorIntervalSecs: 1, reconnectAttempts: 2, reconnectInterval: 1 });
  });

  it.each([
    [{ name: 'Bad_Name' }, /cluster name "Bad_Name"/],
    [{ portBase: 80 }, /port base must be a port from 1024/],
    [{ portBase: 15432, appPort: 15433 }, /collides with the node ports/],
    [{ backSubnet: '10.0.0.0/24', frontSubnet: '10.0.0.128/25' }, /overlap/],
    [{ backSubnet: '10.0.0.5/24' }, /host bits set; did you mean 10.0.0.0\/24/],
    [{ frontSubnet: 'banana' }, /not an IPv4 CIDR/],
    [{ frontSubnet: '10.0.0.0/8' }, /prefix from \/16 to \/28/],
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

  it('counts host addresses from the network address', () => {
    expect(hostAddress('10.213.2.0/24', 1)).toBe('10.213.2.1');
    expect(hostAddress('10.213.2.0/24', 20)).toBe('10.213.2.20');
  });
});
