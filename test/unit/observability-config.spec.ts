import { AppConfig } from '../../src/config/app-config';
import { ConfigError } from '../../src/config/environment';
import { redactPaths, REDACT_PATHS } from '../../src/common/logging';

function problems(env: Record<string, string>): string[] {
  try {
    AppConfig.fromEnvironment(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('METRICS_TOKEN and LOG_REDACT', () => {
  it('are off by default: /metrics open, only the built-in redact paths', () => {
    const config = AppConfig.fromEnvironment({});
    expect(config.observability).toEqual({ metricsToken: undefined, logRedact: [] });
    expect(redactPaths(config)).toEqual([...REDACT_PATHS]);
    expect(REDACT_PATHS).toEqual(
      expect.arrayContaining(['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie']),
    );
  });

  it('LOG_REDACT adds paths to the built-in ones', () => {
    const config = AppConfig.fromEnvironment({ LOG_REDACT: ' req.headers["x-forwarded-for"] , *.iban,' });
    expect(config.observability.logRedact).toEqual(['req.headers["x-forwarded-for"]', '*.iban']);
    expect(redactPaths(config)).toEqual([...REDACT_PATHS, 'req.headers["x-forwarded-for"]', '*.iban']);
  });

  it('a path pino cannot read stops the boot, naming it', () => {
    const [problem] = problems({ LOG_REDACT: 'req.headers[x-forwarded-for' });
    expect(problem).toMatch(/^LOG_REDACT: "req.headers\[x-forwarded-for" is not a pino redact path/);
  });

  it('a short or spaced METRICS_TOKEN stops the boot without echoing it', () => {
    for (const token of ['short', 'has a space in it somewhere']) {
      const [problem] = problems({ METRICS_TOKEN: token });
      expect(problem).toMatch(/^METRICS_TOKEN=\(hidden\): METRICS_TOKEN must be 16 to 512 printable ASCII/);
      expect(problem).not.toContain(token);
    }
    expect(AppConfig.fromEnvironment({ METRICS_TOKEN: 'a'.repeat(32) }).observability.metricsToken).toBe(
      'a'.repeat(32),
    );
  });
});
