import { Injectable } from '@nestjs/common';
import { TenantStore } from '../tenants/tenant-store';
import { Taxonomy } from './taxonomy';
import { parseCategories } from './taxonomy.loader';

/** Parsed tenant taxonomies kept, by tenant and the tenant row's updated_at. */
const CACHE_SIZE = 64;

/**
 * The taxonomy in effect for a tenant: its own (inbox_tenants.taxonomy, validated when it was
 * set), else the service's. One read of the tenant per call, so a change is seen at once by
 * every process; the parsing is cached by the row's updated_at.
 */
@Injectable()
export class TenantTaxonomies {
  private readonly parsed = new Map<string, Taxonomy>();

  constructor(
    private readonly tenants: TenantStore,
    private readonly service: Taxonomy,
  ) {}

  /** The service's taxonomy (CATEGORIES_FILE or the built-in one). */
  get serviceTaxonomy(): Taxonomy {
    return this.service;
  }

  async forTenant(tenantId: string): Promise<Taxonomy> {
    const tenant = await this.tenants.get(tenantId);
    if (!tenant || tenant.taxonomy === null || tenant.taxonomy === undefined) return this.service;
    const key = `${tenantId}@${tenant.updated_at}`;
    let taxonomy = this.parsed.get(key);
    if (!taxonomy) {
      taxonomy = new Taxonomy(parseCategories(tenant.taxonomy, `tenant ${tenantId}'s taxonomy`));
      if (this.parsed.size >= CACHE_SIZE) this.parsed.delete(this.parsed.keys().next().value!);
      this.parsed.set(key, taxonomy);
    }
    return taxonomy;
  }
}
