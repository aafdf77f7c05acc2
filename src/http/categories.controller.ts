import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OTHER, Taxonomy } from '../classifier/taxonomy';
import { CategoryListDto } from './dto/categories.dto';

@ApiTags('categories')
@Controller('categories')
export class CategoriesController {
  constructor(private readonly taxonomy: Taxonomy) {}

  @Get()
  @ApiOperation({ operationId: 'listCategories', summary: 'The document types documents are classified into' })
  @ApiOkResponse({ type: CategoryListDto })
  listCategories(): CategoryListDto {
    return {
      categories: this.taxonomy.categories.map((c) => ({
        id: c.id,
        label: c.label,
        description: c.description,
        keywords: [...c.keywords],
        ...(c.examples ? { examples: [...c.examples] } : {}),
      })),
      fallback: OTHER,
    };
  }
}
