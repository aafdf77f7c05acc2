import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { plainToInstance } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  NotEquals,
  validateSync,
  type ValidationError,
} from 'class-validator';
import { parse as parseYaml } from 'yaml';
import { OTHER, Taxonomy, type Category } from './taxonomy';

/** One entry of a categories file, as validated at boot. */
class CategoryDefinition implements Category {
  @IsString()
  @Matches(/^[a-z][a-z0-9_]{0,62}$/, {
    message: 'id must be lower-case letters, digits and _, starting with a letter (max 63)',
  })
  @NotEquals(OTHER, { message: `id '${OTHER}' is reserved: it is the answer when no category fits` })
  id!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(100)
  label!: string;

  @IsString()
  @MinLength(10, { message: 'description must say what the document type is (at least 10 characters)' })
  @MaxLength(2000)
  description!: string;

  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(100, { each: true })
  keywords: string[] = [];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(5000, { each: true })
  examples?: string[];
}

export class TaxonomyFileError extends Error {
  constructor(file: string, problems: string[]) {
    super(`Invalid categories file ${file}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'TaxonomyFileError';
  }
}

const DEFAULT_TAXONOMY_NAME = 'default-taxonomy.yaml';

/**
 * The built-in taxonomy file: beside this module (the build copies it into dist/classifier/),
 * else src/classifier/ above it (ts-jest runs from src/; the bench's own build from dist-bench/).
 */
export function defaultTaxonomyFile(): string {
  const beside = join(__dirname, DEFAULT_TAXONOMY_NAME);
  if (existsSync(beside)) return beside;
  for (let dir = dirname(__dirname); ; dir = dirname(dir)) {
    const candidate = join(dir, 'src', 'classifier', DEFAULT_TAXONOMY_NAME);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`${DEFAULT_TAXONOMY_NAME} not found beside or above ${__dirname}`);
  }
}

/**
 * The taxonomy in effect: CATEGORIES_FILE when set (YAML or JSON, both parsed by the YAML
 * parser), else the built-in default-taxonomy.yaml, read the same way. A bad file stops the boot
 * with every problem listed. Accepted shapes: a list of categories, or `{ categories: [...] }`.
 */
export function loadTaxonomy(file: string = defaultTaxonomyFile()): Taxonomy {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TaxonomyFileError(file, [(e as Error).message]);
  }
  return new Taxonomy(parseCategories(raw, file));
}

/** Validates parsed file content; `source` names the file in errors. */
export function parseCategories(raw: unknown, source: string): Category[] {
  const list = Array.isArray(raw) ? raw : isRecord(raw) && Array.isArray(raw.categories) ? raw.categories : null;
  if (!list)
    throw new TaxonomyFileError(source, ['expected a list of categories, or an object with a "categories" list']);
  if (list.length === 0) throw new TaxonomyFileError(source, ['the categories list is empty']);
  const problems: string[] = [];
  const seen = new Set<string>();
  const categories = list.map((item, i) => {
    if (!isRecord(item)) {
      problems.push(`categories[${i}]: expected an object with id, label, description, keywords`);
      return null;
    }
    const def = plainToInstance(CategoryDefinition, item);
    const errors = validateSync(def, { forbidUnknownValues: true, whitelist: true, forbidNonWhitelisted: true });
    const name = typeof item.id === 'string' ? `categories[${i}] (${item.id})` : `categories[${i}]`;
    for (const e of errors) problems.push(`${name}: ${describe(e)}`);
    if (typeof def.id === 'string') {
      if (seen.has(def.id)) problems.push(`${name}: duplicate id '${def.id}'`);
      seen.add(def.id);
    }
    return def;
  });
  if (problems.length > 0) throw new TaxonomyFileError(source, problems);
  return categories.map((c) => {
    const { id, label, description, keywords, examples } = c as CategoryDefinition;
    return examples ? { id, label, description, keywords, examples } : { id, label, description, keywords };
  });
}

function describe(e: ValidationError): string {
  if (e.constraints) return Object.values(e.constraints).join('; ');
  return `${e.property}: invalid`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
