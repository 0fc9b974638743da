import { isRole, Role, ROLES } from '../src/shared/auth/permissions';

/** What `npm run token` was asked for. */
export interface TokenRequest {
  /** Tenant slug or id, as the `tenant_id` claim (the server accepts either). */
  tenant?: string;
  roles: Role[];
  sub: string;
  platform: boolean;
  /** Lifetime in seconds. */
  expiresInSeconds: number;
}

export class TokenArgsError extends Error {}

export const TOKEN_USAGE = [
  'Usage: npm run -s token -- --tenant <slug|id> --role <role>[,<role>...] [--sub <id>] [--platform] [--expires-in 1h]',
  '',
  `  --tenant      the tenant's slug or id (optional with --platform)`,
  `  --role        one or more of ${ROLES.join(', ')} (optional with --platform)`,
  '  --sub         the subject, i.e. the user id (default: cli-user)',
  '  --platform    a platform operator: may manage tenants',
  '  --expires-in  lifetime: seconds, or a number with s, m, h or d (default 1h)',
  '',
  'Signs HS256 with JWT_SECRET (environment or .env), else the dev secret under DATA_DIR.',
].join('\n');

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90`, `90s`, `15m`, `1h`, `7d` -> seconds; undefined when malformed or zero. */
export function parseDuration(value: string): number | undefined {
  const match = /^(\d+)([smhd]?)$/.exec(value);
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] || 's'];
  return seconds > 0 && Number.isSafeInteger(seconds) ? seconds : undefined;
}

/** Parses the command line (without node and script). Throws `TokenArgsError` with a message for people. */
export function parseTokenArgs(argv: readonly string[]): TokenRequest | 'help' {
  const request: TokenRequest = { roles: [], sub: 'cli-user', platform: false, expiresInSeconds: 3600 };
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (name === '--platform') {
      if (eq > 0) throw new TokenArgsError('--platform takes no value');
      request.platform = true;
      continue;
    }
    if (!['--tenant', '--role', '--sub', '--expires-in'].includes(name)) {
      throw new TokenArgsError(`unknown argument "${arg}"`);
    }
    if (seen.has(name)) throw new TokenArgsError(`${name} given twice`);
    seen.add(name);
    const inline = name !== arg; // --name=value
    const value = inline ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '' || (!inline && value.startsWith('--'))) {
      throw new TokenArgsError(`${name} needs a value`);
    }
    switch (name) {
      case '--tenant':
        request.tenant = value;
        break;
      case '--role':
        request.roles = parseRoles(value);
        break;
      case '--sub':
        request.sub = value;
        break;
      case '--expires-in': {
        const seconds = parseDuration(value);
        if (seconds === undefined) {
          throw new TokenArgsError(
            `--expires-in expects seconds or a number with s, m, h or d, got "${value}"`,
          );
        }
        request.expiresInSeconds = seconds;
        break;
      }
    }
  }
  if (!request.platform) {
    if (request.tenant === undefined) throw new TokenArgsError('--tenant is required (or --platform)');
    if (request.roles.length === 0) throw new TokenArgsError('--role is required (or --platform)');
  }
  return request;
}

function parseRoles(value: string): Role[] {
  const roles = value
    .split(',')
    .map((role) => role.trim())
    .filter(Boolean);
  for (const role of roles) {
    if (!isRole(role))
      throw new TokenArgsError(`unknown role "${role}"; expected one of ${ROLES.join(', ')}`);
  }
  return [...new Set(roles as Role[])];
}
