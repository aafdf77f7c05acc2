import { Module, Controller, Get } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { fileTypeFromBuffer } from 'file-type';
import pLimit from 'p-limit';
import { PGlite } from '@electric-sql/pglite';
import { extractText } from 'unpdf';

@Controller()
class C { @Get() hi() { return 'x'; } }
@Module({ controllers: [C] })
class M {}

test('nest loads', async () => {
  const m = await Test.createTestingModule({ imports: [M] }).compile();
  const app = m.createNestApplication();
  await app.init();
  await app.close();
  expect(typeof fileTypeFromBuffer).toBe('function');
  expect(typeof pLimit).toBe('function');
  const db = await PGlite.create();
  const r = await db.query('select 1 as x');
  expect(r.rows).toEqual([{ x: 1 }]);
  expect(typeof extractText).toBe('function');
});
