import { etagOf, ifMatchHolds, parseIfMatch } from './if-match';

describe('parseIfMatch', () => {
  it('reads quoted, bare and weak versions, lists and *', () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(parseIfMatch('"3"')).toEqual({ any: false, versions: [3] });
    expect(parseIfMatch('3')).toEqual({ any: false, versions: [3] });
    expect(parseIfMatch('W/"3"')).toEqual({ any: false, versions: [3] });
    expect(parseIfMatch(' "2", "3" ')).toEqual({ any: false, versions: [2, 3] });
    expect(parseIfMatch('*')).toEqual({ any: true });
  });

  it('answers null for what is not a version', () => {
    for (const bad of ['', ' ', '"abc"', '"0"', '-1', '"3', '3"', '"3",', 'W/', '1.5', '"sha256:ab"']) {
      expect(parseIfMatch(bad)).toBeNull();
    }
  });
});

describe('ifMatchHolds', () => {
  it('holds without a condition, for *, and for a listed version only', () => {
    expect(ifMatchHolds(undefined, 4)).toBe(true);
    expect(ifMatchHolds({ any: true }, 4)).toBe(true);
    expect(ifMatchHolds({ any: false, versions: [3, 4] }, 4)).toBe(true);
    expect(ifMatchHolds({ any: false, versions: [3] }, 4)).toBe(false);
  });

  it('round-trips the ETag it makes', () => {
    expect(parseIfMatch(etagOf(12))).toEqual({ any: false, versions: [12] });
  });
});
