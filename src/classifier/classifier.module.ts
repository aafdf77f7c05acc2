import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DbFunctions } from '../database/db-functions.port';
import { createClassifier } from './classifier.factory';
import { Classifier } from './classifier.port';
import { CorrectionStore } from './correction-store.port';
import { SqlCorrectionStore } from './sql-correction.store';
import { Taxonomy } from './taxonomy';
import { loadTaxonomy } from './taxonomy.loader';
import { TrainingExamples } from './training-examples';
import { TenantTaxonomies } from './tenant-taxonomies';
import { TenantsModule } from '../tenants/tenants.module';

/**
 * Document classification: the taxonomy (the service's, and each tenant's through
 * TenantTaxonomies), the classifier chosen by CLASSIFIER_PROVIDER, and corrections' store. Needs the global AppConfig and DbFunctions providers. No controllers: the
 * worker imports it too (its routes are in src/http, for the HTTP role only).
 */
@Module({
  imports: [TenantsModule],
  providers: [
    {
      provide: Taxonomy,
      useFactory: (config: AppConfig) => loadTaxonomy(config.classifier.categoriesFile),
      inject: [AppConfig],
    },
    { provide: CorrectionStore, useFactory: (db: DbFunctions) => new SqlCorrectionStore(db), inject: [DbFunctions] },
    {
      provide: TrainingExamples,
      useFactory: (store: CorrectionStore) => new TrainingExamples(store),
      inject: [CorrectionStore],
    },
    { provide: Classifier, useFactory: createClassifier, inject: [AppConfig, TrainingExamples, Taxonomy] },
    TenantTaxonomies,
  ],
  exports: [Classifier, Taxonomy, TenantTaxonomies, CorrectionStore],
})
export class ClassifierModule {}
