/**
 * `npm run bench:ocr-reads`: every image of the classification corpus read by each local engine
 * through the production pipeline, with the characters read and the warnings, to show that no
 * readable image reads as empty, and how many of them the built-in local classifier (no
 * corrections) labels right from each engine's text: accuracy downstream of OCR. Readings are
 * cached like bench:cer's (bench/results/). OCR_CER_ENGINES picks the engines. The last line is
 * one JSON object: engine -> { chars: file -> characters, labelled_right, images }.
 */
import { loadTaxonomy } from '../src/classifier/taxonomy.loader';
import { LocalClassifier } from '../src/classifier/local.classifier';
import { corpusManifest, CORPUS_DIR, hasCorpus } from '../test/support/corpus';
import { CER_ENGINES, readImages } from './ocr-cer';

const IMAGE_FILE = /\.(png|jpe?g|tiff?|webp)$/i;

async function main(): Promise<void> {
  if (!hasCorpus) {
    console.log(`[corpus] ${CORPUS_DIR} not found: nothing read`);
    console.log(JSON.stringify({}));
    return;
  }
  const entries = corpusManifest().filter((entry) => IMAGE_FILE.test(entry.file) && entry.label !== 'bad');
  const images = entries.map((entry) => ({ name: entry.file, image: entry.path }));
  const labels = new Map(entries.map((entry) => [entry.file, entry.label]));
  const categories = loadTaxonomy().categories;
  const classifier = new LocalClassifier(null, categories);
  const wanted = process.env.OCR_CER_ENGINES?.split(',').filter(Boolean);
  const engines = wanted && wanted.length > 0 ? wanted : [...CER_ENGINES];
  const out: Record<string, { chars: Record<string, number>; labelled_right: number; images: number }> = {};
  for (const engine of engines) {
    const readings = await readImages(engine, images, (line) => console.log(line), 'ocr-reads');
    console.log(`\n## ${engine}: characters read (non-space) per corpus image`);
    const chars: Record<string, number> = {};
    let empty = 0;
    let seconds = 0;
    let right = 0;
    for (const { name } of images) {
      const reading = readings.get(name);
      if (!reading) continue;
      chars[name] = reading.text.replace(/\s+/g, '').length;
      if (chars[name] === 0) empty++;
      seconds += reading.seconds;
      const { label } = await classifier.classify({
        pages: [
          { number: 1, text: reading.text, source: engine === 'paddle' ? 'paddle' : 'tesseract', confidence: null },
        ],
        pageCount: 1,
        filename: 'upload',
        categories,
        signal: AbortSignal.timeout(60_000),
      });
      if (label === labels.get(name)) right++;
      const warnings = reading.warnings.length > 0 ? `  (${reading.warnings.join('; ')})` : '';
      console.log(
        `${name.padEnd(46)} ${String(chars[name]).padStart(6)} chars  ${reading.seconds.toFixed(1)} s  -> ${label}${warnings}`,
      );
    }
    console.log(`${images.length} images, ${empty} read empty, ${(seconds / images.length).toFixed(2)} s/page`);
    console.log(`local classifier labels ${right}/${images.length} right from ${engine}'s text`);
    out[engine] = { chars, labelled_right: right, images: images.length };
  }
  console.log(JSON.stringify(out));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
