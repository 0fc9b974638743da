import { bearerCredential, presentedApiKey } from './credentials';

describe('credentials', () => {
  it('reads a Bearer credential in any case of the scheme, trimmed, spaces inside kept', () => {
    expect(bearerCredential('Bearer abc')).toBe('abc');
    expect(bearerCredential('bearer  abc  ')).toBe('abc');
    expect(bearerCredential('BEARER a b')).toBe('a b');
    for (const none of [undefined, '', 'Bearer ', 'Bearerabc', 'Basic abc'])
      expect(bearerCredential(none)).toBeUndefined();
  });

  it('takes an API key from X-API-Key, or from a Bearer value with its prefix only', () => {
    const key = `agt_${'A'.repeat(43)}`;
    expect(presentedApiKey({ headers: { 'x-api-key': key } })).toBe(key);
    expect(presentedApiKey({ headers: { authorization: `bearer ${key}` } })).toBe(key);
    expect(
      presentedApiKey({ headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.x' } }),
    ).toBeUndefined();
  });
});
