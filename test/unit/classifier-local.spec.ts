import type { ClassificationInput } from '../../src/classifier/classifier.port';
import { CorrectionStore, type Correction, type NewCorrection } from '../../src/classifier/correction-store.port';
import { loadTaxonomy } from '../../src/classifier/taxonomy.loader';
import { DEFAULT_LOCAL_SETTINGS, LOCAL_MODEL_NAME, LocalClassifier } from '../../src/classifier/local.classifier';
import { TrainingExamples } from '../../src/classifier/training-examples';

const DEFAULT_CATEGORIES = loadTaxonomy().categories;

/** In-memory CorrectionStore: a hand-written fake of the port. */
class MemoryCorrections extends CorrectionStore {
  rows: Correction[] = [];
  revisionCalls = 0;
  async record(c: NewCorrection): Promise<Correction> {
    const now = new Date();
    const row = { ...c, createdAt: now, updatedAt: now };
    this.rows = [row, ...this.rows.filter((r) => r.jobId !== c.jobId || r.position !== c.position)];
    return row;
  }
  async list(limit: number): Promise<Correction[]> {
    return this.rows.slice(0, limit);
  }
  async revision(): Promise<string> {
    this.revisionCalls++;
    return `${this.rows.length}:${this.rows[0]?.label ?? ''}`;
  }
}

function input(text: string | string[], categories = DEFAULT_CATEGORIES): ClassificationInput {
  const pages = (Array.isArray(text) ? text : [text]).map((t, i) => ({
    number: i + 1,
    text: t,
    source: 'text-layer' as const,
    confidence: null,
  }));
  return { pages, pageCount: pages.length, filename: 'doc.pdf', categories, signal: new AbortController().signal };
}

const TEXTS: Record<string, string> = {
  invoice:
    'ACME Supplies Ltd\nINVOICE\nInvoice number: INV-2026-0117  Invoice date: 03/11/2026\nBill to: Northwind Traders\n' +
    'Description  Quantity  Unit price  Amount\nPrinter paper A4  10  4.50  45.00\nSubtotal 45.00  VAT 20% 9.00\nAmount due 54.00  Due date 03/12/2026',
  invoice_de:
    'Muster GmbH\nRechnung\nRechnungsnummer 2026-118  Rechnungsdatum 4. November 2026\nPos. Menge Einzelpreis Betrag\n' +
    'Beratung 3 Std. 120,00 360,00\nNettobetrag 360,00 EUR  MwSt 19% 68,40  Gesamtbetrag 428,40 EUR\nZahlbar innerhalb von 14 Tagen',
  invoice_fr:
    'Facture n° F-2026-042  Date : 05/11/2026\nDésignation  Quantité  Prix unitaire HT  Montant HT\nAbonnement fibre 1 29,99\n' +
    'Total HT 24,99  TVA 20 % 5,00  Total TTC 29,99 €\nDate limite de paiement : 20/11/2026',
  receipt:
    'CORNER CAFE\n12 High Street\nCashier: Anna  Till 2\n1 x Cappuccino 3.20\n1 x Croissant 2.10\nTOTAL 5.30\nCash tendered 10.00\nChange due 4.70\nThank you for shopping with us! Please come again',
  bank_statement:
    'First Example Bank\nAccount statement\nAccount number 12-3456-7890\nStatement period 1 Oct 2026 to 31 Oct 2026\n' +
    'Opening balance 1,200.00  Closing balance 1,530.25\nDate  Transaction  Withdrawals  Deposits  Balance\n02 Oct SALARY 2,000.00',
  resume:
    'Jane Roe\nSoftware Engineer · jane@example.com · linkedin.com/in/janeroe · github.com/janeroe\nSummary\nBackend engineer with 8 years of experience.\n' +
    'Work Experience\nSenior Engineer, Example Corp, 2020 - present\nEducation\nBSc Computer Science, 2016\nSkills\nTypeScript, PostgreSQL',
  letter:
    '14 Oak Road\nLondon\n3 November 2026\nDear Mr Smith,\nThank you for your visit last week. I am writing to confirm the arrangements we discussed ' +
    'for the spring meeting.\nYours sincerely,\nMary Jones',
  scientific_paper:
    'Sparse Retrieval for Long Documents\nA. Author, B. Author\nDepartment of Computer Science, Example University\nAbstract\n' +
    'We propose a retrieval method ... Experiments on three datasets show ... 1 Introduction ... 2 Related Work ... et al. [3] ... Conclusion ... References',
};

describe('LocalClassifier', () => {
  const classifier = new LocalClassifier(null, DEFAULT_CATEGORIES);

  it.each(Object.entries(TEXTS))('labels a made-up %s', async (kind, text) => {
    const result = await classifier.classify(input(text));
    expect(result.label).toBe(kind.replace(/_(de|fr)$/, ''));
    expect(result.confidence).toBeGreaterThan(0.4);
    expect(result.confidence).toBeLessThanOrEqual(1);
    expect(result.classifier).toBe('local');
    expect(result.model).toBe(LOCAL_MODEL_NAME);
  });

  it('gives the evidence that decided', async () => {
    const result = await classifier.classify(input(TEXTS.invoice_de));
    expect(result.reasons[0]).toMatch(/^keywords on page 1: .*rechnung/);
    expect(result.reasons.join(' ')).toContain('runner-up');
  });

  it('answers other with confidence 0 when there is no text', async () => {
    await expect(classifier.classify(input(' \f\n '))).resolves.toEqual({
      label: 'other',
      confidence: 0,
      reasons: ['no text could be read'],
      classifier: 'local',
      model: LOCAL_MODEL_NAME,
    });
  });

  // Made-up texts that are none of the types: they set how low the 'other' thresholds may go.
  it.each([
    'The quick brown fox jumps over the lazy dog near the riverbank.',
    'Chocolate cake recipe. Ingredients: 200 g flour, 3 eggs, 150 g sugar, 100 g butter. Preheat the oven to 180 degrees and bake for 35 minutes.',
    'Meeting notes 12 March. Attendees: Ana, Ben, Chris. We discussed the roadmap for the next quarter and agreed to move the launch by two weeks. Action items: Ben to update the plan, Chris to contact the design team.',
    'Assembly instructions. Step 1: unpack all parts. Step 2: attach the legs to the table top with the four long screws. Do not overtighten.',
    'The city council approved the new cycling lanes on Tuesday after a long debate, the mayor told reporters.',
    'Weather forecast: sunny in the morning, clouds in the afternoon, highs of 24 degrees, chance of showers in the evening.',
  ])('falls back to other when nothing in the text points to a type: %s', async (text) => {
    const result = await classifier.classify(input(text));
    expect(result.label).toBe('other');
    expect(result.reasons[0]).toMatch(/no document type fits well enough/);
  });

  it.each([
    [
      'receipt',
      'CORNER MART\n4/10/2024 13:59\nMILK 2.49\nBREAD 3.10\nSUBT0TAL 5.59\nTAX 0.45\nT0TAL 6.04\nVISA 6.04\nAPPR0VAL 004512\nCUST0MER COPY',
    ],
    [
      'id_document',
      'REPUBLIC OF NOWHERE\nPASSP0RT\nSurnarne / Nom\nDOE\nNationallty\n01 JAN 1990\nP<NWHDOE<<JANE<<<<<<<<<<<<<<<<<<<<<<\nX1234567<8NWH9001014F3001014<<<<<<<<<<<<<<04',
    ],
  ])('labels OCR-like noisy text of a %s', async (kind, text) => {
    await expect(classifier.classify(input(text))).resolves.toMatchObject({ label: kind });
  });

  it('answers other when a narrowed request allows none of what the document is, with its real best guess', async () => {
    const narrowed = DEFAULT_CATEGORIES.filter((c) => c.id === 'letter' || c.id === 'resume');
    const result = await classifier.classify(input(TEXTS.invoice, narrowed));
    expect(result.label).toBe('other');
    expect(result.reasons.join('\n')).toMatch(/best guess from the whole taxonomy: Invoice \((0\.\d+|1)\)/);
    // 'other' has one meaning: its confidence is that of the best (requested) type, under the threshold.
    expect(result.confidence).toBeLessThan(DEFAULT_LOCAL_SETTINGS.minConfidence);
  });

  it('narrowed to one type, does not answer that type for a document that is plainly something else', async () => {
    const onlyReceipt = DEFAULT_CATEGORIES.filter((c) => c.id === 'receipt');
    const result = await classifier.classify(input(TEXTS.resume, onlyReceipt));
    expect(result).toMatchObject({ label: 'other' });
    expect(result.confidence).toBeLessThan(0.5);
    expect(result.reasons.join('\n')).toContain('best guess from the whole taxonomy: Resume / CV');
  });

  it('narrowed to the right type, answers it as the whole taxonomy would', async () => {
    const narrowed = DEFAULT_CATEGORIES.filter((c) => c.id === 'invoice' || c.id === 'receipt');
    const whole = await classifier.classify(input(TEXTS.invoice));
    const result = await classifier.classify(input(TEXTS.invoice, narrowed));
    expect(result).toMatchObject({ label: 'invoice', confidence: whole.confidence });
  });

  it.each([
    [
      'a French receipt',
      'receipt',
      'BOULANGERIE DU MARCHÉ\n12 rue de la Paix 75002 Paris\nTicket n° 0457  Caisse 2  Le 14/11/2026 à 08:42\n' +
        '2 x Croissant 1,20 2,40\n1 x Baguette tradition 1,30\nTOTAL TTC 3,70 €\nDont TVA 5,5 % 0,19\n' +
        'Espèces 5,00  Rendu 1,30\nReçu de paiement. Merci de votre visite, à bientôt !',
    ],
    [
      'a German form',
      'form',
      'Beitrittserklärung\nHiermit erkläre ich meinen Beitritt zum Sportverein Musterstadt e.V.\n' +
        'Name: ____________  Vorname: ____________\nGeburtsdatum: ________  Straße, Hausnummer: ______________\n' +
        'PLZ, Ort: __________  Telefon: ________  E-Mail: ________\nMitgliedschaft: [ ] Erwachsener  [ ] Jugendlicher  [ ] Familie\n' +
        'SEPA-Lastschriftmandat: Ich ermächtige den Verein, Zahlungen von meinem Konto einzuziehen.\n' +
        'Bitte in Druckbuchstaben ausfüllen und Zutreffendes ankreuzen.\nOrt, Datum ____________  Unterschrift ____________',
    ],
    [
      'a Dutch invoice',
      'invoice',
      'Bakkerij de Vries B.V.\nFACTUUR\nFactuurnummer: 2026-0311  Factuurdatum: 12-11-2026  Klantnummer: 4471\n' +
        'Omschrijving  Aantal  Prijs  Bedrag\nBroodjes assortiment  40  0,85  34,00\nTaart appel  2  14,50  29,00\n' +
        'Subtotaal 63,00  BTW 9% 5,67  Totaal te betalen 68,67 EUR\nGelieve binnen 30 dagen over te maken op IBAN NL00 BANK 0123 4567 89',
    ],
    [
      'a Spanish invoice',
      'invoice',
      'Suministros Ibéricos S.L.  CIF B12345678\nFACTURA\nNº de factura: F-2026/118  Fecha de emisión: 10/11/2026\n' +
        'Cliente: Talleres García  NIF 12345678Z\nConcepto  Cantidad  Precio unitario  Importe\nTornillos M6  500  0,04  20,00\n' +
        'Base imponible 20,00  IVA 21% 4,20  Total factura 24,20 €\nForma de pago: transferencia. Vencimiento: 10/12/2026',
    ],
  ])('labels %s', async (_name, kind, text) => {
    const result = await classifier.classify(input(text));
    expect(result.label).toBe(kind);
    expect(result.confidence).toBeGreaterThanOrEqual(DEFAULT_LOCAL_SETTINGS.minConfidence);
  });

  it('folds accents and case the same way in the taxonomy and in the document', async () => {
    const accented = await classifier.classify(input('REÇU DE PAIEMENT\nMontant payé 12,00 €\nEspèces'));
    const plain = await classifier.classify(input('recu de paiement\nmontant paye 12,00 €\nespeces'));
    expect(accented.label).toBe('receipt');
    expect(plain).toEqual(accented);
  });

  it('weighs the first page more than the others', async () => {
    // A document of two pages that would each be labelled differently: the first one decides.
    const invoiceFirst = await classifier.classify(input([TEXTS.invoice, TEXTS.receipt]));
    const receiptFirst = await classifier.classify(input([TEXTS.receipt, TEXTS.invoice]));
    expect(invoiceFirst.label).toBe('invoice');
    expect(receiptFirst.label).toBe('receipt');
    // With every page counting the same, the order would not matter.
    const flat = new LocalClassifier(null, DEFAULT_CATEGORIES, {
      ...DEFAULT_LOCAL_SETTINGS,
      model: { ...DEFAULT_LOCAL_SETTINGS.model, firstPageWeight: 1 },
    });
    const [a, b] = await Promise.all([
      flat.rank(input([TEXTS.invoice, TEXTS.receipt])),
      flat.rank(input([TEXTS.receipt, TEXTS.invoice])),
    ]);
    // Only the title lines (the first page's first words) still tell the two apart.
    expect(Math.abs(a[0].score - b[0].score)).toBeLessThan(0.1);
  });

  it('names the page each piece of evidence came from', async () => {
    const result = await classifier.classify(
      input(['Northwind Traders\nPage intentionally left blank', TEXTS.invoice, 'Terms: payment within 30 days']),
    );
    expect(result.label).toBe('invoice');
    expect(result.reasons[0]).toMatch(/^keywords on page 2: .*invoice/);
    expect(result.reasons.join('\n')).not.toMatch(/on page 1: .*invoice/);
  });

  it('throws the abort reason when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(classifier.classify({ ...input(TEXTS.invoice), signal: controller.signal })).rejects.toThrow(
      'cancelled',
    );
  });

  it('learns from corrections: a recurring template is labelled as corrected', async () => {
    const store = new MemoryCorrections();
    // refreshMs 0: ask the store on every document (production polls every few seconds).
    const learning = new LocalClassifier(new TrainingExamples(store, { refreshMs: 0, limit: 100 }), DEFAULT_CATEGORIES);
    const timesheet = (week: number) =>
      `Contoso staffing weekly timesheet week ${week}\nConsultant hours Monday 8 Tuesday 8 Wednesday 7.5\n` +
      `Project code CX-77 approved by line manager, overtime hours 2, billable hours 39.5`;

    const before = await learning.classify(input(timesheet(44)));
    await store.record({
      tenantId: 'default',
      jobId: 'j1',
      position: 0,
      filename: 'ts-44.pdf',
      label: 'payslip',
      predictedLabel: before.label,
      text: timesheet(44),
    });
    const after = await learning.classify(input(timesheet(45)));

    expect(before.label).not.toBe('payslip');
    expect(after.label).toBe('payslip');
    expect(after.reasons.join(' ')).toMatch(/resembles a corrected document labelled payslip/);
  });

  it('learns an explicit other from corrections', async () => {
    const store = new MemoryCorrections();
    const learning = new LocalClassifier(new TrainingExamples(store, { refreshMs: 0, limit: 100 }), DEFAULT_CATEGORIES);
    const menu = 'Lunch menu of the week: soup of the day, grilled fish with vegetables, apple pie, coffee included';
    await store.record({
      tenantId: 'default',
      jobId: 'j1',
      position: 1,
      filename: 'menu.pdf',
      label: 'other',
      predictedLabel: 'receipt',
      text: menu,
    });
    await expect(learning.classify(input(menu.replace('fish', 'chicken')))).resolves.toMatchObject({ label: 'other' });
  });
});

describe('TrainingExamples', () => {
  it('asks the store at most once per refresh interval and reloads only on a new revision', async () => {
    const store = new MemoryCorrections();
    let now = 0;
    const examples = new TrainingExamples(store, { refreshMs: 5000, limit: 10 }, () => now);

    await examples.current();
    await store.record({
      tenantId: 'default',
      jobId: 'j',
      position: 0,
      filename: 'a',
      label: 'invoice',
      predictedLabel: null,
      text: 'x',
    });
    now = 4000;
    expect((await examples.current()).examples).toHaveLength(0);
    now = 5000;
    expect((await examples.current()).examples).toHaveLength(1);
    expect(store.revisionCalls).toBe(2);
  });

  it('keeps the last examples when the store fails', async () => {
    const store = new MemoryCorrections();
    await store.record({
      tenantId: 'default',
      jobId: 'j',
      position: 0,
      filename: 'a',
      label: 'invoice',
      predictedLabel: null,
      text: 'x',
    });
    const examples = new TrainingExamples(store, { refreshMs: 0, limit: 10 });
    expect((await examples.current()).examples).toHaveLength(1);
    store.revision = async () => {
      throw new Error('database down');
    };
    expect((await examples.current()).examples).toHaveLength(1);
  });
});
