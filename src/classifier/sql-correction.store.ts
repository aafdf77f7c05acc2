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

/** CorrectionStore over the migration's functions (any transport); every read is one tenant's. */
export class SqlCorrectionStore extends CorrectionStore {
  constructor(private readonly db: DbFunctions) {
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

  async list(limit: number, tenantId = DEFAULT_TENANT): Promise<Correction[]> {
    const rows = await this.db.call<CorrectionJson[]>('inbox_list_corrections', {
      p_tenant: tenantId,
      p_limit: limit,
    });
    return rows.map(toCorrection);
  }

  revision(tenantId = DEFAULT_TENANT): Promise<string> {
    return this.db.call<string>('inbox_corrections_revision', { p_tenant: tenantId });
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
