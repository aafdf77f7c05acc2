import { authAtBoot, AuthRequiredError } from '../../src/auth/auth-boot';
import { generateApiKey, hashApiKey, isApiKeyShaped, keyReference } from '../../src/auth/api-key';
import { defaultRoleFor, roleAllows } from '../../src/auth/auth.decorators';
import { AppConfig, isLoopbackHost } from '../../src/config/app-config';
import { ConfigError } from '../../src/config/environment';

describe('API key format', () => {
  it('makes dik_<8-character prefix>_<43 random characters>, hashed with sha256', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a.key).toMatch(/^dik_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
    expect(a.key.slice(4, 12)).toBe(a.prefix);
    expect(a.hash).toBe(hashApiKey(a.key));
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(b.key).not.toBe(a.key);
    expect(isApiKeyShaped(a.key)).toBe(true);
    expect(isApiKeyShaped(`${a.key}x`)).toBe(false);
    expect(isApiKeyShaped('Bearer abc')).toBe(false);
  });

  it('names a key for a revoke by its prefix, dik_<prefix>, or the key itself', () => {
    const { key, prefix } = generateApiKey();
    expect(keyReference(key)).toBe(prefix);
    expect(keyReference(`dik_${prefix}`)).toBe(prefix);
    expect(keyReference(`dik_${prefix}_`)).toBe(prefix);
    expect(keyReference(prefix)).toBe(prefix);
    expect(keyReference('4079aa35-5baf-46e5-bab9-7f410578593c')).toBe('4079aa35-5baf-46e5-bab9-7f410578593c');
  });
});

describe('roles', () => {
  it('ranks admin over write over read', () => {
    expect(roleAllows('admin', 'write')).toBe(true);
    expect(roleAllows('write', 'read')).toBe(true);
    expect(roleAllows('read', 'write')).toBe(false);
    expect(roleAllows('write', 'admin')).toBe(false);
  });

  it('needs read for GET and HEAD, write for any other method', () => {
    expect(['GET', 'HEAD', 'get'].map(defaultRoleFor)).toEqual(['read', 'read', 'read']);
    expect(['POST', 'PUT', 'PATCH', 'DELETE'].map(defaultRoleFor)).toEqual(['write', 'write', 'write', 'write']);
  });
});

describe('HOST, NODE_ENV and AUTH_DISABLED', () => {
  const config = (env: Record<string, string>) => AppConfig.fromEnvironment({ DATA_DIR: '/tmp/x', ...env });

  it('tells loopback addresses', () => {
    expect(['localhost', '127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'].map(isLoopbackHost)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['0.0.0.0', '::', '10.0.0.5', 'inbox.example.com'].map(isLoopbackHost)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it('listens on 127.0.0.1 by default, 0.0.0.0 in production', () => {
    expect(config({}).host).toBe('127.0.0.1');
    expect(config({ NODE_ENV: 'production' }).host).toBe('0.0.0.0');
    expect(config({ NODE_ENV: 'production', HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
    expect(() => config({ HOST: 'not a host!' })).toThrow(ConfigError);
    expect(() => config({ AUTH_DISABLED: 'yes' })).toThrow(/AUTH_DISABLED="yes"/);
  });

  it('runs open without keys only on loopback outside production', () => {
    expect(authAtBoot(config({}), false).mode).toBe('open');
    expect(authAtBoot(config({}), false).line).toMatch(/listens on 127\.0\.0\.1 only/);
    expect(authAtBoot(config({}), true).mode).toBe('keys');
    expect(authAtBoot(config({ HOST: '0.0.0.0' }), true).mode).toBe('keys');
    expect(() => authAtBoot(config({ HOST: '0.0.0.0' }), false)).toThrow(AuthRequiredError);
    expect(() => authAtBoot(config({ NODE_ENV: 'production', HOST: 'localhost' }), false)).toThrow(
      /NODE_ENV=production requires one/,
    );
    expect(authAtBoot(config({ HOST: '0.0.0.0', AUTH_DISABLED: 'true' }), false).mode).toBe('disabled');
    expect(config({ HOST: '::1' }).auth.required).toBe(false);
    expect(config({ HOST: '192.168.1.10' }).auth.required).toBe(true);
  });
});
