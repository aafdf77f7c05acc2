/**
 * `npm run bench:ocr-reads`: every image of the classification corpus read by each local engine
 * through the production pipeline, with the characters read and the warnings, to show that no
 * readable image reads as empty. Readings are cached like bench:cer's (bench/results/).
 * OCR_CER_ENGINES picks the engines. The last line is one JSON object: engine -> file -> chars.
 */
import { corpusManifest, CORPUS_DIR, hasCorpus } from '../test/support/corpus';
import { CER_ENGINES, readImages } from './ocr-cer';

const IMAGE_FILE = /\.(png|jpe?g|tiff?|webp)$/i;

async function main(): Promise<void> {
  if (!hasCorpus) {
    console.log(`[corpus] ${CORPUS_DIR} not found: nothing read`);
    console.log(JSON.stringify({}));
    return;
  }
  const images = corpusManifest()
    .filter((entry) => IMAGE_FILE.test(entry.file) && entry.label !== 'bad')
    .map((entry) => ({ name: entry.file, image: entry.path }));
  const wanted = process.env.OCR_CER_ENGINES?.split(',').filter(Boolean);
  const engines = wanted && wanted.length > 0 ? wanted : [...CER_ENGINES];
  const out: Record<string, Record<string, number>> = {};
  for (const engine of engines) {
    const readings = await readImages(engine, images, (line) => console.log(line), 'ocr-reads');
    console.log(`\n## ${engine}: characters read (non-space) per corpus image`);
    out[engine] = {};
    let empty = 0;
    let seconds = 0;
    for (const { name } of images) {
      const reading = readings.get(name);
      if (!reading) continue;
      const chars = reading.text.replace(/\s+/g, '').length;
      if (chars === 0) empty++;
      seconds += reading.seconds;
      out[engine][name] = chars;
      const warnings = reading.warnings.length > 0 ? `  (${reading.warnings.join('; ')})` : '';
      console.log(`${name.padEnd(46)} ${String(chars).padStart(6)} chars  ${reading.seconds.toFixed(1)} s${warnings}`);
    }
    console.log(`${images.length} images, ${empty} read empty, ${(seconds / images.length).toFixed(2)} s/page`);
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
