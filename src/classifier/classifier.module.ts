import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { SqlClient } from '../database/sql-client.port';
import { createClassifier } from './classifier.factory';
import { Classifier } from './classifier.port';
import { CorrectionStore } from './correction-store.port';
import { CorrectionsService } from './corrections.service';
import { SqlCorrectionStore } from './sql-correction.store';
import { Taxonomy } from './taxonomy';
import { loadTaxonomy } from './taxonomy.loader';
import { TrainingExamples } from './training-examples';

/**
 * Document classification: the taxonomy, the classifier chosen by CLASSIFIER_PROVIDER, and
 * corrections. Needs the global AppConfig, SqlClient and JobStore providers. No controllers: the
 * worker imports it too (its routes are in src/http, for the HTTP role only).
 */
@Module({
  providers: [
    {
      provide: Taxonomy,
      useFactory: (config: AppConfig) => loadTaxonomy(config.classifier.categoriesFile),
      inject: [AppConfig],
    },
    { provide: CorrectionStore, useFactory: (sql: SqlClient) => new SqlCorrectionStore(sql), inject: [SqlClient] },
    {
      provide: TrainingExamples,
      useFactory: (store: CorrectionStore) => new TrainingExamples(store),
      inject: [CorrectionStore],
    },
    { provide: Classifier, useFactory: createClassifier, inject: [AppConfig, TrainingExamples] },
    CorrectionsService,
  ],
  exports: [Classifier, Taxonomy, CorrectionStore, CorrectionsService],
})
export class ClassifierModule {}
