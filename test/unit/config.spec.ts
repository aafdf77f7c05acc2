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

  it('migrates at boot and waits 60 s for the database by default; a worker waits as long as it takes', () => {
    expect(AppConfig.fromEnvironment({}).databaseBoot).toEqual({
      migrate: true,
      timeoutMs: 60_000,
      workerTimeoutMs: undefined,
      applicationName: undefined,
    });
    expect(
      AppConfig.fromEnvironment({
        MIGRATE_ON_BOOT: 'false',
        DATABASE_BOOT_TIMEOUT_SECONDS: '5',
        WORKER_DATABASE_BOOT_TIMEOUT_SECONDS: '600',
        DATABASE_APPLICATION_NAME: 'inbox-eu-1',
      }).databaseBoot,
    ).toEqual({ migrate: false, timeoutMs: 5000, workerTimeoutMs: 600_000, applicationName: 'inbox-eu-1' });
    expect(AppConfig.fromEnvironment({ WORKER_DATABASE_BOOT_TIMEOUT_SECONDS: '' }).databaseBoot.workerTimeoutMs).toBe(
      undefined,
    );
  });

  it('refuses boot settings PostgreSQL or the retry loop cannot honour', () => {
    expect(() => AppConfig.fromEnvironment({ MIGRATE_ON_BOOT: 'no' })).toThrow(/MIGRATE_ON_BOOT="no"/);
    expect(() => AppConfig.fromEnvironment({ DATABASE_BOOT_TIMEOUT_SECONDS: 'soon' })).toThrow(
      /DATABASE_BOOT_TIMEOUT_SECONDS="soon"/,
    );
    expect(() => AppConfig.fromEnvironment({ DATABASE_APPLICATION_NAME: 'x'.repeat(64) })).toThrow(
      /DATABASE_APPLICATION_NAME=.*1 to 63 printable ASCII/,
    );
    expect(() => AppConfig.fromEnvironment({ DATABASE_APPLICATION_NAME: 'caf\u00e9' })).toThrow(
      /DATABASE_APPLICATION_NAME/,
    );
  });

  it('gives a stalled upload body 30 s by default, and refuses a limit of 0', () => {
    expect(AppConfig.fromEnvironment({}).uploads.idleTimeoutMs).toBe(30_000);
    expect(AppConfig.fromEnvironment({ UPLOAD_IDLE_TIMEOUT_SECONDS: '5' }).uploads.idleTimeoutMs).toBe(5000);
    expect(() => AppConfig.fromEnvironment({ UPLOAD_IDLE_TIMEOUT_SECONDS: '0' })).toThrow(
      /UPLOAD_IDLE_TIMEOUT_SECONDS=0: .*must not be less than 1/,
    );
  });

  it('treats blank optional settings as unset', () => {
    expect(AppConfig.fromEnvironment({ DATABASE_URL: '', OPENAI_API_KEY: ' ' }).database.kind).toBe('pglite');
  });

  describe('Supabase', () => {
    const SUPABASE = { SUPABASE_URL: 'https://abcd.supabase.co/', SUPABASE_SERVICE_ROLE_KEY: 'service-role-secret' };

    it('picks the job store by precedence: DATABASE_URL, else SUPABASE_URL with the key, else embedded', () => {
      expect(AppConfig.fromEnvironment({ ...SUPABASE, DATABASE_URL: 'postgres://u@db/inbox' }).database).toEqual({
        kind: 'postgres',
        url: 'postgres://u@db/inbox',
      });
      expect(AppConfig.fromEnvironment(SUPABASE).database).toEqual({
        kind: 'supabase',
        url: 'https://abcd.supabase.co',
        serviceRoleKey: 'service-role-secret',
        requestTimeoutMs: 30_000,
      });
      expect(AppConfig.fromEnvironment({}).database.kind).toBe('pglite');
    });

    it.each([
      [{ SUPABASE_URL: 'https://abcd.supabase.co' }, /SUPABASE_URL is set but SUPABASE_SERVICE_ROLE_KEY is not/],
      [{ SUPABASE_SERVICE_ROLE_KEY: 'k' }, /SUPABASE_SERVICE_ROLE_KEY is set but SUPABASE_URL is not/],
    ])('stops the boot naming the missing half of %j', (env, message) => {
      expect(() => AppConfig.fromEnvironment(env)).toThrow(message);
      expect(() => AppConfig.fromEnvironment({ ...env, DATABASE_URL: 'postgres://u@db/inbox' })).toThrow(message);
    });

    it('keeps bytes in Supabase Storage whenever SUPABASE_URL is set, unless BLOB_STORE says otherwise', () => {
      const storage = {
        driver: 'supabase',
        url: 'https://abcd.supabase.co',
        serviceRoleKey: 'service-role-secret',
        requestTimeoutMs: 30_000,
        bucket: 'doc-inbox',
        fileSizeLimit: 25 * 1024 * 1024,
      };
      expect(AppConfig.fromEnvironment(SUPABASE).blobs.store).toEqual(storage);
      expect(AppConfig.fromEnvironment({ ...SUPABASE, DATABASE_URL: 'postgres://u@db/inbox' }).blobs.store).toEqual(
        storage,
      );
      expect(
        AppConfig.fromEnvironment({ ...SUPABASE, SUPABASE_STORAGE_BUCKET: 'scans', UPLOAD_MAX_FILE_MB: '10' }).blobs
          .store,
      ).toMatchObject({ bucket: 'scans', fileSizeLimit: 10 * 1024 * 1024 });
      expect(
        AppConfig.fromEnvironment({ ...SUPABASE, DATABASE_URL: 'postgres://u@db/inbox', BLOB_STORE: 'database' }).blobs
          .store,
      ).toEqual({ driver: 'database' });
    });

    it('refuses the database blob store over RPC: bytes never travel through it', () => {
      expect(() => AppConfig.fromEnvironment({ ...SUPABASE, BLOB_STORE: 'database' })).toThrow(
        /BLOB_STORE=database needs DATABASE_URL or the embedded database/,
      );
    });

    it('runs workers apart on Supabase, and never shows the key', () => {
      expect(AppConfig.fromEnvironment(SUPABASE).worker.inServer).toBe(false);
      expect(AppConfig.fromEnvironment({ ...SUPABASE, WORKER_IN_SERVER: 'true' }).worker.inServer).toBe(true);
      let message = '';
      try {
        AppConfig.fromEnvironment({ SUPABASE_URL: 'not a url', SUPABASE_SERVICE_ROLE_KEY: 'service-role-secret' });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/SUPABASE_URL/);
      expect(message).not.toContain('service-role-secret');
    });
  });

  describe('blob storage', () => {
    it('keeps file bytes in the database by default, sweeping orphans every 30 minutes', () => {
      expect(AppConfig.fromEnvironment({}).blobs).toEqual({
        store: { driver: 'database' },
        sweepIntervalMs: 30 * 60_000,
      });
      expect(AppConfig.fromEnvironment({ DATABASE_URL: 'postgres://u@db/inbox' }).blobs.store).toEqual({
        driver: 'database',
      });
    });

    it('puts filesystem blobs under DATA_DIR unless BLOB_DIR says where', () => {
      expect(AppConfig.fromEnvironment({ BLOB_STORE: 'filesystem', DATA_DIR: '/var/inbox' }).blobs.store).toEqual({
        driver: 'filesystem',
        dir: '/var/inbox/blobs',
      });
      expect(AppConfig.fromEnvironment({ BLOB_STORE: 'filesystem', BLOB_DIR: '/mnt/blobs' }).blobs.store).toEqual({
        driver: 'filesystem',
        dir: '/mnt/blobs',
      });
    });

    it('configures any S3-compatible bucket', () => {
      const config = AppConfig.fromEnvironment({
        BLOB_STORE: 's3',
        S3_BUCKET: 'inbox-files',
        S3_REGION: 'auto',
        S3_ENDPOINT: 'https://acct.r2.cloudflarestorage.com',
        S3_FORCE_PATH_STYLE: 'true',
      });
      expect(config.blobs.store).toEqual({
        driver: 's3',
        bucket: 'inbox-files',
        region: 'auto',
        endpoint: 'https://acct.r2.cloudflarestorage.com',
        forcePathStyle: true,
        keyPrefix: 'inbox-blobs/',
        requestTimeoutMs: 60_000,
      });
      expect(
        AppConfig.fromEnvironment({ BLOB_STORE: 's3', S3_BUCKET: 'b-1', AWS_REGION: 'eu-west-1' }).blobs.store,
      ).toMatchObject({ region: 'eu-west-1', forcePathStyle: false });
    });

    it('refuses an unknown driver, an S3 store without its bucket or region, and bad S3 settings', () => {
      expect(() => AppConfig.fromEnvironment({ BLOB_STORE: 'ftp' })).toThrow(/BLOB_STORE="ftp"/);
      expect(() => AppConfig.fromEnvironment({ BLOB_STORE: 's3' })).toThrow(
        /BLOB_STORE=s3 needs S3_BUCKET[\s\S]*BLOB_STORE=s3 needs S3_REGION or AWS_REGION/,
      );
      expect(() => AppConfig.fromEnvironment({ BLOB_STORE: 's3', S3_BUCKET: 'Bad_Bucket', S3_REGION: 'x1' })).toThrow(
        /S3_BUCKET="Bad_Bucket": S3_BUCKET must be an S3 bucket name/,
      );
      expect(() => AppConfig.fromEnvironment({ S3_KEY_PREFIX: '../up/' })).toThrow(/S3_KEY_PREFIX/);
      expect(() => AppConfig.fromEnvironment({ S3_FORCE_PATH_STYLE: 'yes' })).toThrow(/S3_FORCE_PATH_STYLE="yes"/);
    });
  });
});
