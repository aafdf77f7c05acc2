import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { SqlClient } from '../database/sql-client.port';
import { CategoriesController } from './categories.controller';
import { createClassifier } from './classifier.factory';
import { Classifier } from './classifier.port';
import { CorrectionStore } from './correction-store.port';
import { CorrectionsController } from './corrections.controller';
import { CorrectionsService } from './corrections.service';
import { SqlCorrectionStore } from './sql-correction.store';
import { Taxonomy } from './taxonomy';
import { loadTaxonomy } from './taxonomy.loader';
import { TrainingExamples } from './training-examples';

/**
 * Document classification: the taxonomy, the classifier chosen by CLASSIFIER_PROVIDER, and
 * corrections. Needs the global AppConfig, SqlClient and JobStore providers.
 */
@Module({
  controllers: [CategoriesController, CorrectionsController],
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
    { provide: Classifier, useFactory: createClassifier, inject: [AppConfig, TrainingExamples, Taxonomy] },
    CorrectionsService,
  ],
  exports: [Classifier, Taxonomy, CorrectionStore],
})
export class ClassifierModule {}
