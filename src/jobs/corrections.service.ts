import { Injectable } from '@nestjs/common';
import { Conflict, DocumentNotFound, InvalidRequest } from '../common/errors';
import { CorrectionStore, type Correction } from '../classifier/correction-store.port';
import { hasText } from '../classifier/no-text';
import { OTHER } from '../classifier/taxonomy';
import { TenantTaxonomies } from '../classifier/tenant-taxonomies';
import { JobStore } from './job-store.port';

/** Records the right label of a classified document, with a snapshot of its text. */
@Injectable()
export class CorrectionsService {
  constructor(
    private readonly jobs: JobStore,
    private readonly corrections: CorrectionStore,
    private readonly taxonomies: TenantTaxonomies,
  ) {}

  /** @param jobId a UUID and position an integer from 0 (the HTTP pipes check both first). */
  async record(tenantId: string, jobId: string, position: number, label: string): Promise<Correction> {
    const document = await this.jobs.getDocument(tenantId, jobId, position);
    if (!document) throw new DocumentNotFound(jobId, position);
    const taxonomy = await this.taxonomies.forTenant(tenantId);
    if (label !== OTHER && !taxonomy.has(label)) {
      throw new InvalidRequest(
        `label '${label}' is not a document type; expected one of: ${[...taxonomy.categories.map((c) => c.id), OTHER].join(', ')}`,
      );
    }
    if (document.text === null || !hasText(document.text)) {
      throw new Conflict(
        document.text === null
          ? `document ${position} of job ${jobId} has no text yet (status ${document.status}); label it once it is processed`
          : `document ${position} of job ${jobId} has no readable text to learn from`,
      );
    }
    return this.corrections.record({
      tenantId,
      jobId,
      position,
      filename: document.filename,
      label,
      predictedLabel: document.label,
      text: document.text,
    });
  }
}
