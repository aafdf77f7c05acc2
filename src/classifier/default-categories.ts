import type { Category } from './taxonomy';

/**
 * The document types of a small business inbox, used when CATEGORIES_FILE is not set. The
 * first eight ids are the evaluation corpus's classes. Keywords include the common French,
 * German and Dutch words for the same documents, because suppliers write in their own language;
 * the local classifier trains on label + description + keywords + examples, and the OpenAI
 * prompt shows the descriptions.
 */
export const DEFAULT_CATEGORIES: readonly Category[] = [
  {
    id: 'invoice',
    label: 'Invoice',
    description:
      'A bill from a supplier that lists goods or services with quantities, unit prices, taxes and a total, and asks for payment by a due date. Includes tax invoices, utility and telecom bills, subscription and hosting invoices.',
    keywords: [
      'invoice', 'invoice number', 'invoice date', 'tax invoice', 'bill to', 'amount due', 'due date', 'balance due',
      'payment terms', 'subtotal', 'vat', 'unit price', 'quantity', 'customer number', 'billing address',
      'facture', 'numero de facture', 'montant ht', 'total ttc', 'tva', 'date limite de paiement',
      'rechnung', 'rechnungsnummer', 'rechnungsdatum', 'mwst', 'ust', 'zahlbar', 'nettobetrag',
      'factuur', 'factuurnummer', 'factuurdatum', 'btw', 'klantnummer', 'te betalen',
    ],
    examples: [
      'INVOICE Invoice Number INV-0046 Invoice Date Jun 3, 2013 Bill To Description Quantity Unit Price Amount Subtotal VAT 20% Total Amount Due Due Date',
    ],
  },
  {
    id: 'receipt',
    label: 'Receipt',
    description:
      'Proof of a payment already made: a till or cash-register slip from a shop or restaurant, a card payment slip, a hotel folio or payment receipt, an app purchase receipt. Shows items, total, amount paid, change and payment method.',
    keywords: [
      'receipt', 'payment receipt', 'cash receipt', 'cash tendered', 'total paid', 'amount paid', 'cashier',
      'change due', 'tender', 'mastercard', 'card payment', 'rounding', 'gst', 'qty', 'folio', 'guest', 'check in',
      'check out', 'payment received', 'thank you for shopping', 'please come again', 'ticket de caisse', 'recu',
      'quittung', 'kassenbon', 'kassabon',
    ],
  },
  {
    id: 'bank_statement',
    label: 'Bank statement',
    description:
      'A statement from a bank or investment provider for one account over a period: account number, statement period, opening and closing balance, and a list of transactions (withdrawals, deposits, debits, credits) or holdings.',
    keywords: [
      'bank statement', 'statement of account', 'account statement', 'account number', 'statement period',
      'opening balance', 'closing balance', 'balance brought forward', 'withdrawals', 'deposits', 'debit', 'credit',
      'transaction', 'iban', 'sort code', 'overdraft', 'releve de compte', 'kontoauszug', 'rekeningafschrift',
    ],
  },
  {
    id: 'form',
    label: 'Form',
    description:
      'A form to fill in, blank or filled: tax forms (1040, W-2), applications, claim forms, consent forms, registration and verification forms, with labelled fields, check boxes and signature lines.',
    keywords: [
      'form', 'application form', 'applicant', 'please print', 'check box', 'signature of', 'date signed',
      'first name', 'last name', 'middle initial', 'social security number', 'omb no', 'for official use only',
      'if yes', 'please complete', 'consent form', 'claim form', 'questionnaire', 'fill in', 'formulaire', 'formular',
      'antrag', 'aanvraag',
    ],
  },
  {
    id: 'letter',
    label: 'Letter',
    description:
      'Correspondence addressed to a person or organisation: business or personal letters, cover letters, memos, notices and legal letters, with a salutation, a body and a closing signature.',
    keywords: [
      'dear', 'sincerely', 'yours sincerely', 'best regards', 'kind regards', 'yours faithfully', 'yours truly',
      'to whom it may concern', 'memo', 'memorandum', 'enclosed', 'letter', 'cover letter', 'via certified mail',
      'madame', 'monsieur', 'cordialement', 'sehr geehrte', 'mit freundlichen', 'geachte', 'met vriendelijke groet',
    ],
  },
  {
    id: 'resume',
    label: 'Resume / CV',
    description:
      "A person's curriculum vitae or resume: contact details, summary or objective, work experience, education, skills, languages, projects and awards.",
    keywords: [
      'resume', 'curriculum vitae', 'cv', 'work experience', 'experience', 'education', 'skills', 'objective',
      'summary', 'employment history', 'references', 'certifications', 'projects', 'linkedin', 'github',
      'lebenslauf', 'berufserfahrung', 'formation', 'competences', 'werkervaring', 'opleiding',
    ],
  },
  {
    id: 'id_document',
    label: 'Identity document',
    description:
      'An identity document: passport, national identity card, driving licence, visa or residence permit, with a photo, name, date of birth, nationality, document number, expiry date and often a machine-readable zone.',
    keywords: [
      'passport', 'passport no', 'identity card', 'id card', 'driver license', 'driving licence', 'visa',
      'nationality', 'date of birth', 'date of expiry', 'place of birth', 'sex', 'surname', 'given names',
      'permanent resident', 'residence permit', 'reisepass', 'personalausweis', 'carte d identite', 'passeport',
      'paspoort', 'rijbewijs', 'fuhrerschein',
    ],
  },
  {
    id: 'scientific_paper',
    label: 'Scientific paper',
    description:
      'A research article or a page of one: title and authors with affiliations, abstract, introduction, methods, results, figures and tables, discussion, conclusion and references to other publications.',
    keywords: [
      'abstract', 'introduction', 'related work', 'methodology', 'conclusion', 'references', 'et al', 'university',
      'journal', 'proceedings', 'conference', 'fig', 'experiments', 'evaluation', 'dataset', 'theorem', 'lemma',
      'doi', 'arxiv', 'issn', 'acknowledgements', 'bibliography', 'keywords', 'this paper', 'we propose',
      'state of the art', 'mots cles', 'zusammenfassung', 'universite', 'laboratoire',
    ],
  },
  {
    id: 'contract',
    label: 'Contract',
    description:
      'An agreement between parties: terms and conditions, clauses, obligations, term and termination, governing law, and signatures of the parties. Includes service agreements, leases, NDAs and employment contracts.',
    keywords: [
      'agreement', 'this agreement', 'contract', 'between the parties', 'whereas', 'terms and conditions',
      'termination', 'governing law', 'clause', 'obligations', 'effective date', 'in witness whereof',
      'entered into',
      'contrat', 'vertrag', 'overeenkomst',
    ],
  },
  {
    id: 'payslip',
    label: 'Payslip',
    description:
      'A pay stub or salary slip from an employer to an employee for a pay period: gross pay, deductions, income tax, social security, net pay and year-to-date totals.',
    keywords: [
      'payslip', 'pay slip', 'pay stub', 'earnings', 'gross pay', 'net pay', 'deductions', 'pay period', 'ytd',
      'year to date', 'employee id', 'salary', 'bulletin de paie', 'salaire net', 'gehaltsabrechnung',
      'lohnabrechnung', 'loonstrook',
    ],
  },
  {
    id: 'purchase_order',
    label: 'Purchase order',
    description:
      'An order sent by a buyer to a supplier asking for goods or services: PO number, items, quantities, agreed prices, delivery address and date. It precedes the invoice.',
    keywords: [
      'purchase order', 'po number', 'order number', 'ship to', 'delivery date', 'vendor', 'supplier', 'ordered by',
      'bon de commande', 'bestellung', 'inkooporder', 'bestelling',
    ],
  },
  {
    id: 'quote',
    label: 'Quote / estimate',
    description:
      'An offer from a supplier with proposed prices for goods or services, valid until a date, for the customer to accept before any order: quotation, estimate, proposal with pricing.',
    keywords: [
      'quote', 'quotation', 'estimate', 'proposal', 'valid until', 'validity', 'offer', 'devis', 'angebot',
      'kostenvoranschlag', 'offerte',
    ],
  },
  {
    id: 'delivery_note',
    label: 'Delivery note',
    description:
      'A packing slip or delivery note that accompanies shipped goods: items and quantities delivered, shipment and tracking numbers, without prices to pay.',
    keywords: [
      'delivery note', 'packing slip', 'packing list', 'shipment', 'tracking number', 'delivered', 'consignment',
      'bon de livraison', 'lieferschein', 'pakbon',
    ],
  },
];
