import { Module } from '@nestjs/common';
import { DbFunctions } from '../database/db-functions.port';
import { JobStore } from './job-store.port';
import { SqlJobStore } from './sql-job.store';

/** The API's JobStore: the job and correction services use it (the HTTP role only). */
@Module({
  providers: [{ provide: JobStore, useFactory: (db: DbFunctions) => new SqlJobStore(db), inject: [DbFunctions] }],
  exports: [JobStore],
})
export class JobStoreModule {}
