/**
 * The endpoint agent's log, read back: every move, fence and unfence it made (and every tick that
 * failed), with its reason and time, from the JSON lines it writes on stdout. A drill records them
 * next to what it observed itself.
 */
import type { EndpointEvent } from '../controller.ts';

const ACTIONS = new Set(['move', 'fence', 'unfence']);

export function parseAgentLog(text: string): EndpointEvent[] {
  const events: EndpointEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (record.component !== 'endpoint-controller' || typeof record.time !== 'number') continue;
    const action = record.action;
    if (typeof action === 'string' && ACTIONS.has(action)) {
      events.push({
        at: record.time,
        action: action as EndpointEvent['action'],
        ...(typeof record.node === 'string' ? { node: record.node } : {}),
        reason: String(record.msg ?? ''),
        durationMs: typeof record.durationMs === 'number' ? record.durationMs : 0,
      });
    } else if (record.msg === 'endpoint controller tick failed') {
      events.push({ at: record.time, action: 'error', reason: String(record.err ?? ''), durationMs: 0 });
    }
  }
  return events;
}
