import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OTHER, type Taxonomy } from '../classifier/taxonomy';
import { TenantTaxonomies } from '../classifier/tenant-taxonomies';
import { CurrentTenant } from '../tenants/request-principal';
import { CategoryListDto } from './dto/categories.dto';

@ApiTags('categories')
@Controller('categories')
export class CategoriesController {
  constructor(private readonly taxonomies: TenantTaxonomies) {}

  @Get()
  @ApiOperation({
    operationId: 'listCategories',
    summary: "The document types documents are classified into (the caller's tenant's own taxonomy, if it has one)",
  })
  @ApiOkResponse({ type: CategoryListDto })
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
