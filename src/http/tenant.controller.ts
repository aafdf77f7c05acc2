import { Controller, Delete, Put, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { parse as parseYaml } from 'yaml';
import { RequiresRole } from '../auth/auth.decorators';
import { TenantTaxonomies } from '../classifier/tenant-taxonomies';
import { parseCategories, TaxonomyFileError } from '../classifier/taxonomy.loader';
import { Taxonomy } from '../classifier/taxonomy';
import { InvalidRequest, PayloadTooLarge, UnsupportedMediaType } from '../common/errors';
import { TenantStore } from '../tenants/tenant-store';
import { CurrentTenant } from '../tenants/request-principal';
import { toCategoryList } from './categories.controller';
import { CategoryListDto } from './dto/categories.dto';
import { CATEGORY_LIST_EXAMPLE } from './dto/examples';
import { ApiErrorResponses } from './api-error-responses.decorator';

/** A taxonomy document larger than this is refused (the built-in one is about 24 KB). */
const MAX_TAXONOMY_BYTES = 1024 * 1024;

/** The caller's tenant's own settings (admin keys only). */
@ApiTags('tenant')
@ApiErrorResponses({
  401: true,
  403: {
    description: 'The key is not an admin key.',
    examples: {
      'not admin':
        "this key's role is 'write'; PUT /tenant/taxonomy needs 'admin' " +
        '(read: GET requests; write: uploads, cancel, retry, delete, labels; admin: keys and tenant settings)',
    },
  },
  503: true,
})
@RequiresRole('admin')
@Controller('tenant/taxonomy')
export class TenantController {
  constructor(
    private readonly tenants: TenantStore,
    private readonly taxonomies: TenantTaxonomies,
  ) {}

  @Put()
  @ApiOperation({
    operationId: 'setTenantTaxonomy',
    summary: "Give the caller's tenant a taxonomy of its own",
    description:
      'The body is a taxonomy in the shape of the built-in one (src/classifier/default-taxonomy.yaml): ' +
      '`{"categories": [{"id", "label", "description", "keywords", "examples"?}, ...]}` or the list alone, as JSON ' +
      '(application/json) or YAML (application/yaml). New uploads, GET /categories and labels of this tenant use it; ' +
      'jobs already queued are classified with it too.',
  })
  @ApiConsumes('application/json', 'application/yaml')
  @ApiBody({ type: CategoryListDto, description: '`fallback` is not needed (and ignored)' })
  @ApiOkResponse({
    type: CategoryListDto,
    description: 'the taxonomy now in effect for the tenant',
    example: CATEGORY_LIST_EXAMPLE,
  })
  @ApiErrorResponses({
    400: {
      description: 'What is wrong with which category.',
      examples: {
        'short description':
          'invalid taxonomy: categories[0] (timesheet): description must say what the document type is (at least 10 characters)',
      },
    },
    413: { description: 'The taxonomy is over 1 MB.', examples: { 'too large': 'the taxonomy is larger than 1 MB' } },
    415: {
      description: 'Neither JSON nor YAML.',
      examples: { 'wrong type': 'send the taxonomy as application/json or application/yaml' },
    },
  })
  async setTenantTaxonomy(@Req() req: Request, @CurrentTenant() tenantId: string): Promise<CategoryListDto> {
    const raw = await taxonomyDocument(req);
    let categories;
    try {
      categories = parseCategories(withoutFallback(raw), 'the taxonomy');
    } catch (err) {
      if (err instanceof TaxonomyFileError) {
        const problems = err.message
          .split('\n')
          .slice(1)
          .map((line) => line.replace(/^\s*- /, ''));
        throw new InvalidRequest(`invalid taxonomy: ${problems.join('; ')}`);
      }
      throw err;
    }
    await this.tenants.ensure(tenantId);
    await this.tenants.update(tenantId, { taxonomy: { categories } });
    return toCategoryList(new Taxonomy(categories));
  }

  @Delete()
  @ApiOperation({
    operationId: 'resetTenantTaxonomy',
    summary: "Drop the tenant's own taxonomy: the service's applies again",
    description: "New uploads, GET /categories and labels of this tenant use the service's taxonomy again.",
  })
  @ApiOkResponse({
    type: CategoryListDto,
    description: 'the taxonomy now in effect (the service’s)',
    example: CATEGORY_LIST_EXAMPLE,
  })
  async resetTenantTaxonomy(@CurrentTenant() tenantId: string): Promise<CategoryListDto> {
    await this.tenants.update(tenantId, { taxonomy: null });
    return toCategoryList(this.taxonomies.serviceTaxonomy);
  }
}

/** The body as parsed JSON, or YAML read from the stream (Nest parses only JSON and forms). */
async function taxonomyDocument(req: Request): Promise<unknown> {
  if (req.is('application/json')) return req.body as unknown;
  if (!req.is(['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'])) {
    throw new UnsupportedMediaType('send the taxonomy as application/json or application/yaml');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_TAXONOMY_BYTES) throw new PayloadTooLarge('the taxonomy is larger than 1 MB');
    chunks.push(chunk);
  }
  try {
    return parseYaml(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (err) {
    throw new InvalidRequest(`the taxonomy is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** GET /categories answers `{categories, fallback}`: that shape is accepted back as it is. */
function withoutFallback(raw: unknown): unknown {
  if (raw && typeof raw === 'object' && !Array.isArray(raw) && 'fallback' in raw) {
    const { fallback: _fallback, ...rest } = raw as Record<string, unknown>;
    return rest;
  }
  return raw;
}
