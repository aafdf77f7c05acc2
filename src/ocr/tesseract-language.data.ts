import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** 4.0.0_best_int holds the LSTM integer models; 4.0.0 the legacy-engine data OSD needs. */
const FOLDERS = { lstm: '4.0.0_best_int', legacy: '4.0.0' } as const;

export interface LanguageDirectory {
  /** Folder holding <code>.traineddata.gz for every requested language (tesseract.js langPath). */
  langPath: string;
  dispose(): void;
}

/** The gzip traineddata file shipped by the language's own npm package, @tesseract.js-data/<code>. */
export function languageDataFile(code: string, flavour: keyof typeof FOLDERS): string {
  let packageDir: string;
  try {
    packageDir = dirname(require.resolve(`@tesseract.js-data/${code}/package.json`));
  } catch {
    throw new Error(
      `OCR language "${code}" needs the npm package @tesseract.js-data/${code}; install it or change OCR_LANGUAGES`,
    );
  }
  const file = join(packageDir, FOLDERS[flavour], `${code}.traineddata.gz`);
  if (!existsSync(file))
    throw new Error(`@tesseract.js-data/${code} has no ${FOLDERS[flavour]}/${code}.traineddata.gz`);
  return file;
}

/**
 * tesseract.js takes one langPath for all languages, but each language lives in its own package.
 * One language: langPath is that package's folder. Several: a private temp folder of symlinks
 * into node_modules. Nothing is downloaded either way. (Passing {code, data} objects would avoid
 * this, but tesseract.js 7 builds the init string from `data` instead of `code`.)
 */
export function languageDirectory(codes: string[], flavour: keyof typeof FOLDERS): LanguageDirectory {
  const files = codes.map((code) => languageDataFile(code, flavour));
  if (files.length === 1) return { langPath: dirname(files[0]), dispose: () => undefined };
  const dir = mkdtempSync(join(tmpdir(), 'doc-inbox-tessdata-'));
  codes.forEach((code, i) => symlinkSync(files[i], join(dir, `${code}.traineddata.gz`)));
  return { langPath: dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
