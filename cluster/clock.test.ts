import { describe, expect, it } from 'vitest';
import { clockFileContent, skewScript } from './clock.ts';

describe("a node's clock file", () => {
  it("says the offset in libfaketime's relative form", () => {
    expect(clockFileContent(30)).toBe('+30\n');
    expect(clockFileContent(-1.5)).toBe('-1.5\n');
  });

  it('refuses no offset, a non-number and more than a day', () => {
    for (const bad of [0, Number.NaN, Number.POSITIVE_INFINITY, 86_401, -86_401]) expect(() => clockFileContent(bad)).toThrow(RangeError);
  });

  it('is written whole (a new file moved into place), never half-written', () => {
    expect(skewScript(-30)).toMatch(/> \/run\/flipdrill-clock\.new && chmod 0644 \/run\/flipdrill-clock\.new && mv -f \/run\/flipdrill-clock\.new \/run\/flipdrill-clock$/);
  });
});
