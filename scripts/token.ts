import { existsSync } from 'node:fs';
import { sign } from 'jsonwebtoken';
import { withDevJwtSecret } from '../src/shared/auth/dev-jwt-secret';
import { loadSettings, SettingsError } from '../src/shared/settings/settings';
import { parseTokenArgs, TOKEN_USAGE, TokenArgsError, TokenRequest } from './token-args';

/**
 * `npm run -s token -- --tenant default --role owner`: prints a JWT the running server accepts.
 * Needs no database (the embedded one may be held by a running server): it only signs, with the
 * secret the server uses — JWT_SECRET, or the dev secret generated under DATA_DIR.
 */
function main(argv: readonly string[]): number {
  let request: TokenRequest | 'help';
  try {
    request = parseTokenArgs(argv);
  } catch (error) {
    if (!(error instanceof TokenArgsError)) throw error;
    console.error(`token: ${error.message}\n\n${TOKEN_USAGE}`);
    return 2;
  }
  if (request === 'help') {
    console.log(TOKEN_USAGE);
    return 0;
  }

  // The same source of settings as the server (src/main.ts): the environment, then .env.
  if (existsSync('.env')) process.loadEnvFile('.env');
  let jwt;
  try {
    jwt = withDevJwtSecret(loadSettings(process.env)).jwt;
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    console.error(`token: ${error.message}. See .env.example for every setting.`);
    return 1;
  }
  if (!jwt.secret) {
    console.error('token: no JWT_SECRET is set (the server verifies tokens against JWT_JWKS_URL only).');
    return 1;
  }

  const claims: Record<string, unknown> = { sub: request.sub, roles: request.roles };
  if (request.tenant !== undefined) claims.tenant_id = request.tenant;
  if (request.platform) claims.platform = true;
  const token = sign(claims, jwt.secret, {
    algorithm: 'HS256',
    expiresIn: request.expiresInSeconds,
    ...(jwt.issuer ? { issuer: jwt.issuer } : {}),
    ...(jwt.audience ? { audience: jwt.audience } : {}),
  });
  console.log(token);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
