import { describe, expect, it } from 'vitest';
import type { ClusterSnapshot, NodeState } from '../observe.ts';
import { decide } from './decide.ts';

const snapshot = (...nodes: NodeState[]): ClusterSnapshot => ({ takenAt: 0, nodes });
const witness: NodeState = { name: 'node3', role: 'witness' };

describe('decide', () => {
  it('does nothing when the endpoint is on the only primary', () => {
    const d = decide(snapshot({ name: 'node1', role: 'primary', timeline: 1 }, { name: 'node2', role: 'standby', timeline: 1 }, witness), {
      holder: 'node1',
      reachable: ['node1', 'node2'],
    });
    expect(d).toEqual({ action: 'none', reason: 'endpoint on node1, the primary; nothing to do' });
  });

  it('keeps the endpoint on a primary that is down until a standby is promoted', () => {
    const d = decide(snapshot({ name: 'node1', role: 'down', error: 'container not running' }, { name: 'node2', role: 'standby', timeline: 1 }, witness), {
      holder: 'node1',
      reachable: ['node1', 'node2'],
    });
    expect(d.action).toBe('none');
    expect(d.reason).toBe('no primary visible; endpoint left on node1');
  });

  it('moves the endpoint to the promoted standby', () => {
    const d = decide(snapshot({ name: 'node1', role: 'down' }, { name: 'node2', role: 'primary', timeline: 2 }, witness), {
      holder: 'node1',
      reachable: ['node1', 'node2'],
    });
    expect(d).toMatchObject({ action: 'move', node: 'node2' });
    expect(d.reason).toBe('node2 is primary (timeline 2) and the endpoint is on node1: moving it to node2');
  });

  it('fences the dead old primary once the endpoint has moved', () => {
    const d = decide(snapshot({ name: 'node1', role: 'down', error: 'container not running' }, { name: 'node2', role: 'primary', timeline: 2 }, witness), {
      holder: 'node2',
      reachable: ['node1', 'node2'],
    });
    expect(d).toMatchObject({ action: 'fence', node: 'node1' });
  });

  it('fences an old primary that comes back on an older timeline, before anything else', () => {
    const d = decide(snapshot({ name: 'node1', role: 'primary', timeline: 1 }, { name: 'node2', role: 'primary', timeline: 2 }, witness), {
      holder: 'node1',
      reachable: ['node1', 'node2'],
    });
    expect(d).toMatchObject({ action: 'fence', node: 'node1' });
    expect(d.reason).toContain('node2 is primary on timeline 2');
  });

  it('leaves a fenced old primary fenced while it still says it is primary', () => {
    const d = decide(snapshot({ name: 'node1', role: 'primary', timeline: 1 }, { name: 'node2', role: 'primary', timeline: 2 }, witness), {
      holder: 'node2',
      reachable: ['node2'],
    });
    expect(d.action).toBe('none');
  });

  it('lets a node back to application traffic once it is a standby again', () => {
    const d = decide(snapshot({ name: 'node1', role: 'standby', timeline: 2, upstream: 'node2' }, { name: 'node2', role: 'primary', timeline: 2 }, witness), {
      holder: 'node2',
      reachable: ['node2'],
    });
    expect(d).toMatchObject({ action: 'unfence', node: 'node1' });
    expect(d.reason).toContain('streaming from node2');
  });

  it('refuses to choose between two primaries on the same timeline when neither holds the endpoint', () => {
    const d = decide(snapshot({ name: 'node1', role: 'primary', timeline: 2 }, { name: 'node2', role: 'primary', timeline: 2 }, witness), {
      reachable: [],
    });
    expect(d.action).toBe('none');
    expect(d.reason).toContain('split brain');
  });
});
