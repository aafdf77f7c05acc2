import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Classifier } from '../../src/classifier/classifier.port';
import { ClassifierModule } from '../../src/classifier/classifier.module';
import { CorrectionStore, type Correction, type NewCorrection } from '../../src/classifier/correction-store.port';
import { LocalClassifier } from '../../src/classifier/local.classifier';
import { OpenAIClassifier } from '../../src/classifier/openai.classifier';
import { Taxonomy } from '../../src/classifier/taxonomy';
import { AppConfig } from '../../src/config/app-config';
import { DbFunctions } from '../../src/database/db-functions.port';
import { SqlClient } from '../../src/database/sql-client.port';
import { JobStore } from '../../src/jobs/job-store.port';
import { completion, FakeOpenAIServer } from '../support/fake-openai.server';

class NoCorrections extends CorrectionStore {
  async record(_c: NewCorrection): Promise<Correction> {
    throw new Error('not used');
  }
  async list(): Promise<Correction[]> {
    return [];
  }
  async revision(): Promise<string> {
    return '0';
  }
}

/** Builds ClassifierModule as the app does, from an environment; SQL and jobs are never reached. */
async function moduleFor(env: NodeJS.ProcessEnv) {
  @Global()
  @Module({
    providers: [
      { provide: AppConfig, useValue: AppConfig.fromEnvironment(env) },
      { provide: SqlClient, useValue: {} },
      { provide: JobStore, useValue: {} },
      // TenantTaxonomies' TenantStore: never called while the module is built.
      { provide: DbFunctions, useValue: {} },
    ],
    exports: [AppConfig, SqlClient, JobStore, DbFunctions],
  })
  class Globals {}
  return Test.createTestingModule({ imports: [Globals, ClassifierModule] })
    .overrideProvider(CorrectionStore)
    .useValue(new NoCorrections())
    .compile();
}

describe('ClassifierModule wiring', () => {
  it('provides the local classifier and the default taxonomy without a key', async () => {
    const moduleRef = await moduleFor({ CLASSIFIER_PROVIDER: 'auto' });
    expect(moduleRef.get(Classifier)).toBeInstanceOf(LocalClassifier);
    expect(moduleRef.get(Taxonomy).has('invoice')).toBe(true);
    await moduleRef.close();
  });

  it('provides the taxonomy of CATEGORIES_FILE', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cats-')), 'cats.yaml');
    writeFileSync(file, '- id: memo\n  label: Memo\n  description: An internal note.\n  keywords: [memo]\n');
    const moduleRef = await moduleFor({ CLASSIFIER_PROVIDER: 'local', CATEGORIES_FILE: file });
    expect(moduleRef.get(Taxonomy).categories.map((c) => c.id)).toEqual(['memo']);
    await moduleRef.close();
  });

  it('refuses to boot with a bad CATEGORIES_FILE, naming it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cats-')), 'bad.json');
    writeFileSync(file, '{"categories": [{"id": "x"}]}');
    await expect(moduleFor({ CLASSIFIER_PROVIDER: 'local', CATEGORIES_FILE: file })).rejects.toThrow(
      `Invalid categories file ${file}`,
    );
  });

  it('provides the OpenAI classifier built from the configuration (key, base URL, model)', async () => {
    const server = await FakeOpenAIServer.start();
    try {
      server.reply({
        status: 200,
        body: completion(JSON.stringify({ label: 'invoice', confidence: 0.9, reasons: ['x'] })),
      });
      const moduleRef = await moduleFor({
        CLASSIFIER_PROVIDER: 'auto',
        OPENAI_API_KEY: 'sk-module-test',
        OPENAI_BASE_URL: server.baseURL,
        OPENAI_MODEL: 'gpt-4o-mini',
      });
      const classifier = moduleRef.get(Classifier);
      expect(classifier).toBeInstanceOf(OpenAIClassifier);

      const result = await classifier.classify({
        pages: [{ number: 1, text: 'INVOICE 1', source: 'text-layer', confidence: null }],
        pageCount: 1,
        filename: 'a.pdf',
        categories: moduleRef.get(Taxonomy).select(null),
        signal: new AbortController().signal,
      });

      expect(result).toMatchObject({ label: 'invoice', classifier: 'openai', model: 'gpt-4o-mini' });
      expect(server.requests[0].headers.authorization).toBe('Bearer sk-module-test');
      expect(server.requests[0].body.model).toBe('gpt-4o-mini');
      await moduleRef.close();
    } finally {
      await server.close();
    }
  });
});

describe('CLASSIFIER_VISION', () => {
  const vision = (env: NodeJS.ProcessEnv) =>
    AppConfig.fromEnvironment({ OPENAI_API_KEY: 'sk-x', ...env }).classifier.vision;

  it('is on in auto mode for models known to read images, off for the others', () => {
    for (const model of ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1-nano', 'gpt-5', 'o3', 'o4-mini']) {
      expect({ model, vision: vision({ OPENAI_MODEL: model }) }).toEqual({ model, vision: true });
    }
    for (const model of ['gpt-3.5-turbo', 'llama3.1:8b', 'mistral-large']) {
      expect({ model, vision: vision({ OPENAI_MODEL: model }) }).toEqual({ model, vision: false });
    }
  });

  it('is off when set off, and refuses other values', () => {
    expect(vision({ OPENAI_MODEL: 'gpt-4o', CLASSIFIER_VISION: 'off' })).toBe(false);
    expect(() => vision({ CLASSIFIER_VISION: 'always' })).toThrow(/CLASSIFIER_VISION/);
  });
});
