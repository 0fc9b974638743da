import { parseDuration, parseTokenArgs, TokenArgsError } from './token-args';

describe('parseTokenArgs', () => {
  it('reads a tenant and a role, with defaults for the rest', () => {
    expect(parseTokenArgs(['--tenant', 'default', '--role', 'owner'])).toEqual({
      tenant: 'default',
      roles: ['owner'],
      sub: 'cli-user',
      platform: false,
      expiresInSeconds: 3600,
    });
  });

  it('takes --name=value, several roles, a subject and a lifetime', () => {
    expect(
      parseTokenArgs(['--tenant=acme', '--role=viewer,editor,viewer', '--sub', 'u-42', '--expires-in=15m']),
    ).toEqual({
      tenant: 'acme',
      roles: ['viewer', 'editor'],
      sub: 'u-42',
      platform: false,
      expiresInSeconds: 900,
    });
  });

  it('lets a platform operator go without tenant and role', () => {
    expect(parseTokenArgs(['--platform'])).toMatchObject({ platform: true, roles: [] });
    expect(parseTokenArgs(['--platform', '--tenant', 't1', '--role', 'admin'])).toMatchObject({
      platform: true,
      tenant: 't1',
      roles: ['admin'],
    });
  });

  it('answers help', () => {
    expect(parseTokenArgs(['--tenant', 'x', '--help'])).toBe('help');
  });

  it.each([
    [['--role', 'owner'], '--tenant is required'],
    [['--tenant', 'default'], '--role is required'],
    [['--tenant', 'default', '--role', 'superuser'], 'unknown role "superuser"'],
    [['--tenant', 'default', '--role', 'owner', '--bogus'], 'unknown argument "--bogus"'],
    [['--tenant'], '--tenant needs a value'],
    [['--tenant', '--role', 'owner'], '--tenant needs a value'],
    [['--tenant=', '--role', 'owner'], '--tenant needs a value'],
    [['--tenant', 'a', '--tenant', 'b', '--role', 'owner'], '--tenant given twice'],
    [['--tenant', 'a', '--role', 'owner', '--expires-in', '1w'], '--expires-in expects'],
    [['--tenant', 'a', '--role', 'owner', '--expires-in', '0'], '--expires-in expects'],
    [['--platform=yes'], '--platform takes no value'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseTokenArgs(argv)).toThrow(TokenArgsError);
    expect(() => parseTokenArgs(argv)).toThrow(message);
  });
});

describe('parseDuration', () => {
  it.each([
    ['90', 90],
    ['90s', 90],
    ['15m', 900],
    ['1h', 3600],
    ['7d', 604_800],
  ])('%s is %d seconds', (value, seconds) => {
    expect(parseDuration(value)).toBe(seconds);
  });

  it.each(['', 'h', '1.5h', '-1h', '1 h', '0s'])('refuses %j', (value) => {
    expect(parseDuration(value)).toBeUndefined();
  });
});
