import type { DbFunctions } from '../database/db-functions.port';
import { DEFAULT_TENANT } from '../jobs/job.model';
import { CorrectionStore, type Correction, type NewCorrection } from './correction-store.port';

interface CorrectionJson {
  job_id: string | null;
  index: number | null;
  filename: string;
  label: string;
  predicted_label: string | null;
  text: string;
  created_at: string;
  updated_at: string;
}

/**
 * CorrectionStore over the migration's functions (any transport). Training reads the default
 * tenant's corrections: one model per tenant comes with API keys and tenants.
 */
export class SqlCorrectionStore extends CorrectionStore {
  constructor(
    private readonly db: DbFunctions,
    private readonly trainingTenant = DEFAULT_TENANT,
  ) {
    super();
  }

  async record(c: NewCorrection): Promise<Correction> {
    return toCorrection(
      await this.db.call<CorrectionJson>('inbox_record_correction', {
        p_tenant: c.tenantId,
        p_job: c.jobId,
        p_index: c.position,
        p_filename: c.filename,
        p_label: c.label,
        p_predicted_label: c.predictedLabel,
        p_text: c.text,
      }),
    );
  }

  async list(limit: number): Promise<Correction[]> {
    const rows = await this.db.call<CorrectionJson[]>('inbox_list_corrections', {
      p_tenant: this.trainingTenant,
      p_limit: limit,
    });
    return rows.map(toCorrection);
  }

  revision(): Promise<string> {
    return this.db.call<string>('inbox_corrections_revision', { p_tenant: this.trainingTenant });
  }
}

function toCorrection(r: CorrectionJson): Correction {
  return {
    jobId: r.job_id,
    position: r.index,
    filename: r.filename,
    label: r.label,
    predictedLabel: r.predicted_label,
    text: r.text,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}
