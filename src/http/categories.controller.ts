import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from './api-error-responses.decorator';
import { OTHER, type Taxonomy } from '../classifier/taxonomy';
import { TenantTaxonomies } from '../classifier/tenant-taxonomies';
import { CurrentTenant } from '../tenants/request-principal';
import { CategoryListDto } from './dto/categories.dto';
import { CATEGORY_LIST_EXAMPLE } from './dto/examples';

@ApiTags('categories')
@ApiErrorResponses({ 401: true, 403: true })
@Controller('categories')
export class CategoriesController {
  constructor(private readonly taxonomies: TenantTaxonomies) {}

  @Get()
  @ApiOperation({
    operationId: 'listCategories',
    summary: 'The document types documents are classified into',
    description:
      "The taxonomy in effect for the caller's tenant (its own, if it set one with PUT /tenant/taxonomy): each " +
      "category's id is a document_type value and a valid categories entry of an upload. A document that fits " +
      'none is given the fallback.',
  })
  @ApiOkResponse({ type: CategoryListDto, description: 'the taxonomy', example: CATEGORY_LIST_EXAMPLE })
  async listCategories(@CurrentTenant() tenantId: string): Promise<CategoryListDto> {
    return toCategoryList(await this.taxonomies.forTenant(tenantId));
  }
}

export function toCategoryList(taxonomy: Taxonomy): CategoryListDto {
  return {
    categories: taxonomy.categories.map((c) => ({
      id: c.id,
      label: c.label,
      description: c.description,
      keywords: [...c.keywords],
      ...(c.examples ? { examples: [...c.examples] } : {}),
    })),
    fallback: OTHER,
  };
}
