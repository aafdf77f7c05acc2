export interface Category {
  id: string;
  label: string;
  description: string;
  keywords: string[];
  examples?: string[];
}

/** The label given when no category fits well enough. */
export const OTHER = 'other';

/** The document types in effect, possibly narrowed per request. */
export class Taxonomy {
  private readonly byId: Map<string, Category>;

  constructor(readonly categories: readonly Category[]) {
    this.byId = new Map(categories.map((c) => [c.id, c]));
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Ids not in the taxonomy, for a 400 that names them. */
  unknown(ids: readonly string[]): string[] {
    return ids.filter((id) => !this.byId.has(id));
  }

  /**
   * The categories a request asked for, or all of them. Ids the taxonomy no longer has (it was
   * changed after the upload) are dropped; if none is left, all categories apply.
   */
  select(ids?: readonly string[] | null): Category[] {
    const chosen = (ids ?? []).map((id) => this.byId.get(id)).filter((c): c is Category => c !== undefined);
    return chosen.length > 0 ? chosen : [...this.categories];
  }
}
