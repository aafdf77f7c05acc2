import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultTaxonomyFile, loadTaxonomy, TaxonomyFileError } from '../../src/classifier/taxonomy.loader';

const dir = mkdtempSync(join(tmpdir(), 'taxonomy-'));
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('taxonomy loader', () => {
  it('uses the built-in business inbox taxonomy without a file, covering the corpus classes', () => {
    const taxonomy = loadTaxonomy(undefined);
    const ids = taxonomy.categories.map((c) => c.id);
    for (const id of [
      'invoice',
      'receipt',
      'bank_statement',
      'form',
      'letter',
      'resume',
      'id_document',
      'scientific_paper',
    ]) {
      expect(ids).toContain(id);
    }
    expect(taxonomy.unknown(['invoice', 'banana'])).toEqual(['banana']);
    // The built-in taxonomy is a YAML file read by the same loader as CATEGORIES_FILE.
    expect(defaultTaxonomyFile()).toMatch(/default-taxonomy\.yaml$/);
    expect(loadTaxonomy(defaultTaxonomyFile()).categories).toEqual(taxonomy.categories);
  });

  it('reads a YAML file', () => {
    const path = file(
      'cats.yaml',
      [
        'categories:',
        '  - id: invoice',
        '    label: Invoice',
        '    description: A bill asking for payment.',
        '    keywords: [invoice, facture]',
        '  - id: shipping_label',
        '    label: Shipping label',
        '    description: A parcel label with addresses and a barcode.',
        '    keywords: [tracking, parcel]',
        '    examples: ["SHIP TO ... TRACKING # 1Z999"]',
      ].join('\n'),
    );
    const taxonomy = loadTaxonomy(path);
    expect(taxonomy.categories.map((c) => c.id)).toEqual(['invoice', 'shipping_label']);
    expect(taxonomy.select(['shipping_label'])[0].examples).toEqual(['SHIP TO ... TRACKING # 1Z999']);
    // A job narrowed to ids that a later taxonomy dropped: the known ones, else all of them.
    expect(taxonomy.select(['receipt', 'invoice']).map((c) => c.id)).toEqual(['invoice']);
    expect(taxonomy.select(['receipt']).map((c) => c.id)).toEqual(['invoice', 'shipping_label']);
  });

  it('reads a JSON list', () => {
    const path = file(
      'cats.json',
      JSON.stringify([{ id: 'memo', label: 'Memo', description: 'An internal note.', keywords: ['memo'] }]),
    );
    expect(loadTaxonomy(path).categories).toEqual([
      { id: 'memo', label: 'Memo', description: 'An internal note.', keywords: ['memo'] },
    ]);
  });

  it('refuses a bad file with every problem, naming the file and the entry', () => {
    const path = file(
      'bad.yaml',
      [
        '- id: Invoice',
        '  label: Invoice',
        '  description: short',
        '  keywords: [invoice]',
        '- id: other',
        '  label: Other',
        '  description: Anything else at all.',
        '  keywords: []',
        '- id: memo',
        '  label: Memo',
        '  description: An internal note.',
        '  keywords: memo',
        '  colour: blue',
        '- id: memo',
        '  label: Memo again',
        '  description: An internal note.',
        '  keywords: []',
      ].join('\n'),
    );
    let error: unknown;
    try {
      loadTaxonomy(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TaxonomyFileError);
    const message = (error as Error).message;
    expect(message).toContain(`Invalid categories file ${path}`);
    expect(message).toMatch(/categories\[0\] \(Invoice\): id must be lower-case/);
    expect(message).toMatch(/categories\[0\] \(Invoice\): description must say what the document type is/);
    expect(message).toMatch(/categories\[1\] \(other\): id 'other' is reserved/);
    expect(message).toMatch(/categories\[2\] \(memo\): .*keywords/);
    expect(message).toMatch(/categories\[2\] \(memo\): property colour should not exist/);
    expect(message).toMatch(/categories\[3\] \(memo\): duplicate id 'memo'/);
  });

  it('names the file when it is missing or not YAML', () => {
    expect(() => loadTaxonomy(join(dir, 'missing.yaml'))).toThrow(/Invalid categories file .*missing\.yaml:.*ENOENT/s);
    expect(() => loadTaxonomy(file('broken.yaml', 'categories: [unclosed'))).toThrow(
      /Invalid categories file .*broken\.yaml/,
    );
    expect(() => loadTaxonomy(file('empty.yaml', 'categories: []'))).toThrow(/the categories list is empty/);
  });
});
