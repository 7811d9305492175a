import { describe, expect, it } from 'vitest';
import { inlined } from '../../src/storage/drivers.ts';

/** A statement's values written into its text (drivers.ts): exact, or not at all. */
describe('values written into a statement', () => {
  it('quotes each value where its parameter stands, and only there', () => {
    expect(inlined(`insert into "t" ("a", "b", "c") values ($1, $2, $3)`, ["it's", 12, null])).toBe(
      `insert into "t" ("a", "b", "c") values ('it''s', '12', NULL)`,
    );
    // A `$2` inside quotes is text, not a parameter; parameters past 9 keep their digits.
    const many = Array.from({ length: 11 }, (_, i) => i + 1);
    expect(inlined(`select '$2', "$1x", ${many.map((n) => `$${n}`).join(', ')}`, many)).toBe(`select '$2', "$1x", ${many.map((n) => `'${n}'`).join(', ')}`);
    expect(inlined('/* write-behind */ insert into "t" values ($1)', ['x'])).toBe(`/* write-behind */ insert into "t" values ('x')`);
  });

  it('writes backslashes in an E literal, so the text means the same whatever standard_conforming_strings is', () => {
    expect(inlined('select $1', ["a\\'b"])).toBe(`select  E'a\\\\''b'`);
  });

  it('writes arrays and objects as node-postgres sends them', () => {
    expect(inlined('select $1::int4[], $2::text[], $3::jsonb', [[1, 2], ['a"b', "c'd"], { q: "'" }])).toBe(
      // The array's element quote is escaped with a backslash, so its literal is an E literal with it doubled.
      `select '{"1","2"}'::int4[],  E'{"a\\\\"b","c''d"}'::text[], '{"q":"''"}'::jsonb`,
    );
  });

  it('gives up where it cannot be exact', () => {
    expect(inlined('select $1', [Buffer.from('x')])).toBeUndefined(); // bytes
    expect(inlined('select $1', ['a\u0000b'])).toBeUndefined(); // a NUL ends a simple query's text
    expect(inlined('select $1', ['x'.repeat(300_000)])).toBeUndefined(); // too large to be worth it
    expect(inlined('select $$a$$ || $1', ['x'])).toBeUndefined(); // dollar quoting
    expect(inlined('select $2', ['x'])).toBeUndefined(); // a parameter it was not given
    expect(inlined("select e'\\'' || $1", ['x'])).toBeUndefined(); // an escape string
    expect(inlined('select 1 -- $1', ['x'])).toBeUndefined(); // a comment
    expect(inlined("select 'open", [])).toBe("select 'open"); // no values: the text as it is
    expect(inlined("select 'open $1", ['x'])).toBeUndefined(); // an unterminated quote
  });
});
