/**
 * A node's clock, skewed: the clock-skew fault. A container shares the host's kernel clock, and
 * setting it would set the host's, so a cluster started with `fakeClock` runs every process of its
 * data nodes (PostgreSQL, repmgrd, their hooks, whatever `docker exec` starts) through libfaketime,
 * which adds the offset written in one file. No file: the real clock. Only CLOCK_REALTIME moves
 * (now(), clock_timestamp(), repmgr's log and event times); monotonic clocks, which timeouts use,
 * do not, as with a real clock that is wrong rather than one that jumps.
 */
export const CLOCK_FILE = '/run/flipdrill-clock';

/** The container environment of a fake-clock node. */
export const FAKE_CLOCK_ENV: Record<string, string> = {
  LD_PRELOAD: '/usr/local/lib/flipdrill/libfaketime.so.1',
  FAKETIME_TIMESTAMP_FILE: CLOCK_FILE,
  // Read the file again at most a second after it changed.
  FAKETIME_CACHE_DURATION: '1',
  FAKETIME_DONT_FAKE_MONOTONIC: '1',
};

/** libfaketime's relative form: "+30", "-1.5" (seconds). */
export function clockFileContent(offsetSecs: number): string {
  if (!Number.isFinite(offsetSecs) || offsetSecs === 0 || Math.abs(offsetSecs) > 86_400) throw new RangeError(`a clock skew is a number of seconds, not 0, at most a day either way: ${offsetSecs}`);
  return `${offsetSecs > 0 ? '+' : ''}${offsetSecs}\n`;
}

/** Skew: write the file atomically (a process reading it half-written would see garbage). */
export const skewScript = (offsetSecs: number) => `printf '%s' '${clockFileContent(offsetSecs)}' > ${CLOCK_FILE}.new && chmod 0644 ${CLOCK_FILE}.new && mv -f ${CLOCK_FILE}.new ${CLOCK_FILE}`;
/** Unskew: idempotent. */
export const unskewScript = () => `rm -f ${CLOCK_FILE} ${CLOCK_FILE}.new`;
/** Prints the offset still set, if any. */
export const skewLeftScript = () => `cat ${CLOCK_FILE} 2>/dev/null || true`;
