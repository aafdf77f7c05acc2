import { AppConfig } from '../../src/config/app-config';

describe('webhook configuration', () => {
  it('has safe defaults: private addresses refused, 10 s attempts under a 15 s lease', () => {
    expect(AppConfig.fromEnvironment({}).webhooks).toEqual({
      defaultTenantSecret: undefined,
      allowPrivate: false,
      timeoutMs: 10_000,
      leaseSeconds: 15,
      concurrency: 16,
      retryBaseSeconds: 5,
    });
  });

  it('takes a Standard Webhooks secret and the other settings', () => {
    const config = AppConfig.fromEnvironment({
      WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_TIMEOUT_SECONDS: '3',
      WEBHOOK_RETRY_BASE_SECONDS: '0.5',
    });
    expect(config.webhooks).toMatchObject({
      defaultTenantSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      allowPrivate: true,
      timeoutMs: 3000,
      leaseSeconds: 8,
      retryBaseSeconds: 0.5,
    });
  });

  it.each([
    ['WEBHOOK_SECRET', 'hunter2', /WEBHOOK_SECRET=\(hidden\): WEBHOOK_SECRET must be whsec_ followed by the base64/],
    ['WEBHOOK_ALLOW_PRIVATE', 'yes', /WEBHOOK_ALLOW_PRIVATE="yes"/],
    ['WEBHOOK_TIMEOUT_SECONDS', '0', /WEBHOOK_TIMEOUT_SECONDS=0: WEBHOOK_TIMEOUT_SECONDS must not be less than 1/],
  ])('stops the boot on a bad %s, naming it (and hiding a secret)', (name, value, message) => {
    expect(() => AppConfig.fromEnvironment({ [name]: value })).toThrow(message);
    expect(() => AppConfig.fromEnvironment({ [name]: value })).not.toThrow(/hunter2/);
  });
});
