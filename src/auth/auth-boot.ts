import type { AppConfig } from '../config/app-config';

/** How the server authenticates, decided once at boot. */
export type AuthMode = 'keys' | 'open' | 'disabled';

export const CREATE_KEY_COMMAND = 'node dist/cli.js keys create --tenant <tenant> --role admin';

/** The server must not start: keys are required here and none exists. */
export class AuthRequiredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthRequiredError';
  }
}

/**
 * The boot rule: with no active key the server runs open only on a loopback HOST outside
 * production; elsewhere it refuses to start unless AUTH_DISABLED=true says so on purpose.
 * Answers the mode and the line to log about it.
 */
export function authAtBoot(config: AppConfig, anyActiveKey: boolean): { mode: AuthMode; line: string } {
  const { host } = config;
  if (config.auth.disabled) {
    return {
      mode: 'disabled',
      line:
        `AUTH_DISABLED=true: API keys are not checked; every request on ${host} is the default tenant's admin. ` +
        'Unset it once keys exist.',
    };
  }
  if (anyActiveKey) return { mode: 'keys', line: 'API keys required (Authorization: Bearer <key> or X-API-Key)' };
  if (config.auth.required) {
    const why = config.auth.production ? 'NODE_ENV=production' : `HOST=${host} (not a loopback address)`;
    throw new AuthRequiredError(
      `no API key exists, and ${why} requires one: create one with \`${CREATE_KEY_COMMAND}\` ` +
        '(with the same database settings), or set AUTH_DISABLED=true to serve without keys on purpose',
    );
  }
  return {
    mode: 'open',
    line:
      `no API key exists, so the API is open and listens on ${host} only (this machine); ` +
      `create a key with \`${CREATE_KEY_COMMAND}\` to require keys (then set HOST=0.0.0.0 to serve other machines)`,
  };
}
