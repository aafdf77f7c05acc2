import { AppConfig } from '../../src/config/app-config';
import { ConfigError } from '../../src/config/environment';

describe('AppConfig', () => {
  it('starts with no configuration at all on the embedded defaults', () => {
    const config = AppConfig.fromEnvironment({});
    expect(config.database).toEqual({ kind: 'pglite', dataDir: './data' });
    expect(config.port).toBe(3000);
    expect(config.worker).toMatchObject({ pollIntervalMs: 5000, leaseSeconds: 60, maxAttempts: 3, inServer: true });
    expect(config.uploads).toMatchObject({ maxFiles: 20, maxFileBytes: 25 * 1024 * 1024 });
    expect(config.ocr.provider).toBe('paddle');
    expect(config.classifier).toMatchObject({ provider: 'local', openaiModel: 'gpt-4o' });
  });

  it('picks PaddleOCR locally when it reads every OCR language, else tesseract; either on request', () => {
    expect(AppConfig.fromEnvironment({ OCR_LANGUAGES: 'eng+chi_sim' }).ocr.provider).toBe('paddle');
    // German needs ö and ß, which PaddleOCR's shipped dictionary lacks.
    expect(AppConfig.fromEnvironment({ OCR_LANGUAGES: 'eng+deu' }).ocr.provider).toBe('tesseract');
    expect(AppConfig.fromEnvironment({ OCR_PROVIDER: 'tesseract' }).ocr.provider).toBe('tesseract');
    expect(AppConfig.fromEnvironment({ OCR_PROVIDER: 'paddle', OCR_LANGUAGES: 'eng+fra' }).ocr.provider).toBe('paddle');
  });

  it('picks the real providers in auto mode when their credentials are present', () => {
    const config = AppConfig.fromEnvironment({
      OPENAI_API_KEY: 'sk-test',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIA0000',
      DATABASE_URL: 'postgres://u@db:5432/inbox',
    });
    expect(config.classifier.provider).toBe('openai');
    expect(config.ocr.provider).toBe('textract');
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u@db:5432/inbox' });
    expect(config.worker.inServer).toBe(false);
  });

  it('refuses bad settings with a message naming every variable, and hides secrets', () => {
    let error: unknown;
    try {
      AppConfig.fromEnvironment({
        PORT: 'eighty',
        JOB_LEASE_SECONDS: '1',
        DATABASE_URL: 'mysql://root:hunter2@db/x',
        OCR_PROVIDER: 'magic',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/PORT="eighty"/);
    expect(message).toMatch(/JOB_LEASE_SECONDS=1: .*not be less than 5/);
    expect(message).toMatch(/OCR_PROVIDER="magic"/);
    expect(message).toMatch(/DATABASE_URL=\(hidden\): DATABASE_URL must be a postgres/);
    expect(message).not.toMatch(/hunter2/);
  });

  it('refuses a provider chosen explicitly without what it needs', () => {
    expect(() => AppConfig.fromEnvironment({ CLASSIFIER_PROVIDER: 'openai' })).toThrow(
      /CLASSIFIER_PROVIDER=openai needs OPENAI_API_KEY/,
    );
    expect(() => AppConfig.fromEnvironment({ OCR_PROVIDER: 'textract' })).toThrow(/needs AWS_REGION/);
    expect(() => AppConfig.fromEnvironment({ WORKER_IN_SERVER: 'false' })).toThrow(/needs DATABASE_URL/);
  });

  it('treats blank optional settings as unset', () => {
    expect(AppConfig.fromEnvironment({ DATABASE_URL: '', OPENAI_API_KEY: ' ' }).database.kind).toBe('pglite');
  });
});
