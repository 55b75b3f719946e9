import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { readRecording, type ReadOptions } from '../src/recording/read.js';
import { writeRecordingCsv, writeRecordingJson, writeRecordingNpy } from '../src/recording/write.js';
import type { Recording } from '../src/recording/types.js';
import { InputError } from '../src/errors.js';
import { dataDirectory, datasetStatus } from '../src/datasets/registry.js';

const dir = mkdtempSync(join(tmpdir(), 'connfit-recording-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** The InputError thrown by readRecording (fails the test if it resolves). */
async function readError(path: string, opts?: ReadOptions): Promise<InputError> {
  try {
    await readRecording(path, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error(`expected ${path} to be rejected`);
}

/** Bitwise-equal arrays (distinguishes -0 from 0). */
function expectSameNumbers(a: ArrayLike<number>, b: ArrayLike<number>): void {
  expect(a.length).toBe(b.length);
  for (let k = 0; k < a.length; k++) {
    if (!Object.is(a[k], b[k])) throw new Error(`index ${k}: ${a[k]} !== ${b[k]}`);
  }
}

/** A .npy file image: version 1.0 (or 2.0), any descr, values already encoded in `body`. */
function npy(descr: string, shape: number[], fortran: boolean, body: Uint8Array, version = 1): Buffer {
  let dict = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pre = version === 1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  dict += ' '.repeat(total - pre - dict.length - 1) + '\n';
  const head = Buffer.alloc(pre);
  head[0] = 0x93;
  head.write('NUMPY', 1, 'latin1');
  head[6] = version;
  head[7] = 0;
  if (version === 1) head.writeUInt16LE(dict.length, 8);
  else head.writeUInt32LE(dict.length, 8);
  return Buffer.concat([head, Buffer.from(dict, 'latin1'), Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
}

/** Small deterministic recording with awkward numbers. */
function sampleRecording(nSamples: number, names: string[]): Recording {
  const nUnits = names.length;
  const data = new Float64Array(nSamples * nUnits);
  let s = 7;
  for (let k = 0; k < data.length; k++) {
    s = (s * 16807) % 2147483647;
    data[k] = (s / 2147483647 - 0.5) * 10 ** ((k % 7) - 3);
  }
  data[0] = -0;
  data[1] = 1 / 3;
  data[2] = 5e-324;
  data[3] = 1.7976931348623157e308;
  data[4] = 0.1 + 0.2;
  data[5] = -123456789.98765433;
  return { data, nSamples, nUnits, unitNames: names };
}

describe('round trips', () => {
  it('CSV with dt: identical numbers, names and dt', async () => {
    const rec = { ...sampleRecording(40, ['a', 'b', 'c', 'd']), dt: 0.05 };
    const p = join(dir, 'rt.csv');
    await writeRecordingCsv(p, rec);
    expect(readFileSync(p, 'utf8').split('\n')[0]).toBe('time,a,b,c,d');
    const back = await readRecording(p);
    expect(back.nSamples).toBe(40);
    expect(back.nUnits).toBe(4);
    expect(back.unitNames).toEqual(['a', 'b', 'c', 'd']);
    expect(back.dt).toBe(0.05);
    expectSameNumbers(back.data, rec.data);
    expectSameNumbers(back.time!, Array.from({ length: 40 }, (_, t) => t * 0.05));
    expect(back.droppedConstantUnits).toEqual([]);
    expect(back.source?.format).toBe('csv');
    expect(back.source?.sha256).toBe(createHash('sha256').update(readFileSync(p)).digest('hex'));
  });

  it('CSV with quoted unit names (csv-parse path) and a given time column', async () => {
    const names = ['cell "1"', 'x,y', ' padded ', 'ü'];
    const time = Float64Array.from({ length: 30 }, (_, t) => 10 + t / 4);
    const rec = { ...sampleRecording(30, names), time };
    const p = join(dir, 'rt-quoted.csv');
    await writeRecordingCsv(p, rec);
    const back = await readRecording(p);
    expect(back.unitNames).toEqual(names);
    expect(back.dt).toBe(0.25);
    expectSameNumbers(back.time!, time);
    expectSameNumbers(back.data, rec.data);
  });

  it('CSV without time: header of unit names only; TSV by extension', async () => {
    const rec = sampleRecording(12, ['n1', 'n2', 'n3']);
    const p = join(dir, 'rt.tsv');
    await writeRecordingCsv(p, rec);
    expect(readFileSync(p, 'utf8').split('\n')[0]).toBe('n1\tn2\tn3');
    const back = await readRecording(p);
    expect(back.dt).toBeUndefined();
    expect(back.time).toBeUndefined();
    expect(back.unitNames).toEqual(['n1', 'n2', 'n3']);
    expectSameNumbers(back.data, rec.data);
  });

  it('npy: identical numbers, default names, dt from the option', async () => {
    const rec = sampleRecording(25, ['a', 'b', 'c']);
    const p = join(dir, 'rt.npy');
    await writeRecordingNpy(p, rec);
    const bytes = readFileSync(p);
    expect(bytes.length).toBe(128 + 25 * 3 * 8); // header padded to 64 bytes
    const back = await readRecording(p, { dt: 0.01 });
    expect(back.nSamples).toBe(25);
    expect(back.nUnits).toBe(3);
    expect(back.unitNames).toEqual(['u0', 'u1', 'u2']);
    expect(back.dt).toBe(0.01);
    expectSameNumbers(back.data, rec.data);
    expect(back.source).toMatchObject({ format: 'npy', sha256: createHash('sha256').update(bytes).digest('hex') });
  });

  it('JSON: identical numbers, names, dt and time', async () => {
    const time = Float64Array.from({ length: 20 }, (_, t) => t * 0.125);
    const rec = { ...sampleRecording(20, ['left', 'right']), dt: 0.125, time };
    const p = join(dir, 'rt.json');
    await writeRecordingJson(p, rec);
    const back = await readRecording(p);
    expect(back.unitNames).toEqual(['left', 'right']);
    expect(back.dt).toBe(0.125);
    expectSameNumbers(back.time!, time);
    expectSameNumbers(back.data, rec.data);
  });
});

describe('CSV reading', () => {
  it('time column gives dt (median step, decimal noise removed) and is not a unit', async () => {
    const p = file('time.csv', 'T,a,b\n0,1,2\n0.1,2,1\n0.2,3,5\n0.3,1,1\n0.4,0,2\n');
    const rec = await readRecording(p);
    expect(rec.dt).toBe(0.1);
    expectSameNumbers(rec.time!, [0, 0.1, 0.2, 0.3, 0.4]);
    expect(rec.unitNames).toEqual(['a', 'b']);
    expectSameNumbers(rec.data, [1, 2, 2, 1, 3, 5, 1, 1, 0, 2]);
  });

  it('a given dt that agrees with the time column is used; one that disagrees is an error', async () => {
    const p = file('time-dt.csv', 't,a,b\n0,1,2\n0.5,2,1\n1,3,5\n');
    expect((await readRecording(p, { dt: 0.5 })).dt).toBe(0.5);
    const err = await readError(p, { dt: 0.25 });
    expect(err.message).toContain('time-dt.csv');
    expect(err.message).toContain('dt 0.25 was given');
    expect(err.message).toContain('steps of 0.5');
    expect(err.location.field).toBe('dt');
  });

  it('bare matrix with header: false names units u0..; blank lines and CRLF are fine', async () => {
    const p = file('bare.csv', '1,2,3\r\n\r\n4,5,6\r\n  \r\n7,8,10\r\n');
    const rec = await readRecording(p, { header: false, dt: 2 });
    expect(rec.unitNames).toEqual(['u0', 'u1', 'u2']);
    expect(rec.nSamples).toBe(3);
    expectSameNumbers(rec.data, [1, 2, 3, 4, 5, 6, 7, 8, 10]);
    expect(rec.dt).toBe(2);
  });

  it('unit-by-time layout: with unit names in the first column, and bare', async () => {
    const named = file('ubt.csv', 'a, 1, 2, 3, 4\nb, 5, 6, 7, 9\nc, 0, 0, 1, 0\n');
    const rec = await readRecording(named, { layout: 'unit-by-time' });
    expect(rec.unitNames).toEqual(['a', 'b', 'c']);
    expect(rec.nSamples).toBe(4);
    expect(rec.nUnits).toBe(3);
    expectSameNumbers(rec.data, [1, 5, 0, 2, 6, 0, 3, 7, 1, 4, 9, 0]);

    const bare = file('ubt-bare.csv', '1,2,3,4\n5,6,7,9\n');
    const rec2 = await readRecording(bare, { layout: 'unit-by-time', header: false });
    expect(rec2.unitNames).toEqual(['u0', 'u1']);
    expectSameNumbers(rec2.data, [1, 5, 2, 6, 3, 7, 4, 9]);
  });

  it('unit-by-time with a time row', async () => {
    const p = file('ubt-time.csv', 'time,0,2,4\nx,1,2,3\ny,3,1,2\n');
    const rec = await readRecording(p, { layout: 'unit-by-time' });
    expect(rec.dt).toBe(2);
    expect(rec.unitNames).toEqual(['x', 'y']);
    expectSameNumbers(rec.data, [1, 3, 2, 1, 3, 2]);
  });

  it('time column names with a unit are recognised (time_s, Time (ms), t_ms, t [s], TIMESTAMP); others stay units', async () => {
    const body = '0,1,2\n0.25,2,1\n0.5,3,5\n';
    for (const name of ['time_s', 'Time (ms)', 't_ms', 't [s]', 'TIMESTAMP', 'time.sec', 'T']) {
      const rec = await readRecording(file('named-time.csv', `${name},a,b\n${body}`));
      expect(rec.dt, name).toBe(0.25);
      expect(rec.unitNames, name).toEqual(['a', 'b']);
      expectSameNumbers(rec.time!, [0, 0.25, 0.5]);
    }
    // names that only start like one are units
    for (const name of ['ts', 'times', 'timer', 't1', 'time_x']) {
      const rec = await readRecording(file('not-time.csv', `${name},a,b\n${body}`), { dt: 1 });
      expect(rec.unitNames, name).toEqual([name, 'a', 'b']);
    }
    // the writer refuses unit names the reader would take for the time
    const rec = sampleRecording(3, ['a', 'time_ms']);
    await expect(writeRecordingCsv(join(dir, 'never.csv'), rec)).rejects.toThrow("unit name 'time_ms' would be read back as the time column");
  });

  it('a column that rises by one step throughout is a clock, not a unit: refused, saying how to mark or drop it', async () => {
    // 12 samples at dt 0.05, as a simulation writes its times (0.15000000000000002), and two units
    const lines = Array.from({ length: 12 }, (_, k) => `${k * 0.05},${Math.sin(k)},${Math.cos(1.7 * k)}`);
    const bare = file('clock-bare.csv', lines.join('\n') + '\n');
    const e1 = await readError(bare, { header: false, dt: 0.05 });
    expect(e1.message).toBe(
      `${bare}:1:1: column 1 (unit u0) rises by the same step (0.05) over all 12 samples: a clock (time or sample number), not activity. ` +
        'To read it as the time, give the file a header line of names, naming it time (recognised: time, t, timestamp, alone or with a unit: time_s, time (s), t_ms, t [ms], time.sec; any case); ' +
        'to leave it out, remove it or list the other units (units option, connfit fit --units)',
    );
    // a header name the reader does not take for time: the error points at the name
    const clock = file('clock-named.csv', 'clock,a,b\n' + lines.join('\n') + '\n');
    const e2 = await readError(clock);
    expect(e2.message).toContain(`${clock}:1:1: column 'clock' rises by the same step (0.05) over all 12 samples: a clock (time or sample number), not activity. To read it as the time, name it time (recognised: time, t,`);
    // a frame counter next to the time column: only leaving it out helps
    const frames = file('clock-frames.csv', 'time,frame,a,b\n' + lines.map((l, k) => l.replace(',', `,${k + 1},`)).join('\n') + '\n');
    expect((await readError(frames)).message).toContain("column 'frame' rises by the same step (1) over all 12 samples: a clock (time or sample number), not activity. The file's time is column 'time'; to leave this one out");
    // left out by the units option, the rest reads
    const rec = await readRecording(bare, { header: false, dt: 0.05, units: ['u1', 'u2'] });
    expect(rec.unitNames).toEqual(['u1', 'u2']);
    expect(rec.data[2]).toBe(Math.sin(1));
    // unit-by-time: a row; JSON: the format's own "time"
    const ubt = file('clock-ubt.csv', ['t0', 'a', 'b'].map((n, i) => `${n},${lines.map((l) => l.split(',')[i]).join(',')}`).join('\n') + '\n');
    expect((await readError(ubt, { layout: 'unit-by-time' })).message).toContain(`${ubt}:1:1: row 't0' rises by the same step (0.05)`);
    const json = file('clock.json', JSON.stringify({ data: lines.map((l) => l.split(',').map(Number)) }));
    expect((await readError(json)).message).toContain(`${json} data[0][0]: column 1 (unit u0) rises by the same step (0.05) over all 12 samples: a clock (time or sample number), not activity. To read it as the time, give the times as "time": [...] instead, out of "data"`);
    // fewer than 10 samples: a few made-up values may be linear (1, 2, 3), so they stay units
    const short = await readRecording(file('short-linear.csv', 'a,b\n1,5\n2,3\n3,4\n'), { dt: 1 });
    expect(short.unitNames).toEqual(['a', 'b']);
  });

  it('space-separated .txt with exponents (np.savetxt style), leading BOM, units selection', async () => {
    const rows = [
      [1.5, -2.25e-3, 3],
      [2.5, 1e-30, 4],
      [0.5, 7.000000000000001, 5],
    ];
    const text = rows.map((r) => r.map((v) => v.toExponential(18)).join(' ')).join('\n') + '\n';
    const p = file('mat.txt', '\ufeff' + text);
    const rec = await readRecording(p, { header: false, units: ['u2', 'u0'] });
    expect(rec.unitNames).toEqual(['u2', 'u0']);
    expectSameNumbers(rec.data, [3, 1.5, 4, 2.5, 5, 0.5]);
    const all = await readRecording(p, { header: false });
    expectSameNumbers(all.data, rows.flat());
  });

  it('constant units are dropped and listed', async () => {
    const p = file('const.csv', 'a,b,c,d\n1,5,0,2\n2,5,1,2\n3,5,0,2\n');
    const rec = await readRecording(p);
    expect(rec.unitNames).toEqual(['a', 'c']);
    expect(rec.droppedConstantUnits).toEqual(['b', 'd']);
    expectSameNumbers(rec.data, [1, 0, 2, 1, 3, 0]);
  });

  it('fast scanner converts exactly like Number() for many number spellings, and matches csv-parse', async () => {
    const cols = 8;
    const cells: string[] = [];
    let s = 12345;
    const rnd = (): number => {
      s = (s * 16807) % 2147483647;
      return s / 2147483647;
    };
    for (let k = 0; k < 400 * cols; k++) {
      const v = (rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20);
      const form = k % 8;
      cells.push(
        form === 0 ? String(v)
          : form === 1 ? v.toFixed(Math.floor(rnd() * 12))
          : form === 2 ? v.toPrecision(1 + Math.floor(rnd() * 21))
          : form === 3 ? v.toExponential(Math.floor(rnd() * 20))
          : form === 4 ? String(Math.round(v * 1e6))
          : form === 5 ? (rnd() < 0.5 ? '+' : '') + (rnd() * 100).toFixed(3)
          : form === 6 ? '.' + String(Math.floor(rnd() * 1e9))
          : String(Math.floor(rnd() * 1e17)) + '.',
      );
    }
    const lines: string[] = [];
    for (let r = 0; r < 400; r++) lines.push(cells.slice(r * cols, (r + 1) * cols).join(','));
    const p = file('spellings.csv', lines.join('\n'));
    const fast = await readRecording(p, { header: false });
    expectSameNumbers(fast.data, cells.map(Number));
    const slow = await readRecording(p, { header: false, csvEngine: 'csv-parse' });
    expectSameNumbers(slow.data, fast.data);
  });
});

describe('npy reading', () => {
  it('Fortran order float64', async () => {
    // 3 samples × 2 units, column-major: unit 0 = 1,2,3; unit 1 = 10,20,40.
    const p = file('fortran.npy', npy('<f8', [3, 2], true, new Uint8Array(Float64Array.from([1, 2, 3, 10, 20, 40]).buffer)));
    const rec = await readRecording(p);
    expect(rec.nSamples).toBe(3);
    expect(rec.nUnits).toBe(2);
    expectSameNumbers(rec.data, [1, 10, 2, 20, 3, 40]);
  });

  it('float32, C order, version 2.0 header', async () => {
    const f32 = Float32Array.from([0.5, 1.1, -2.25, 3.3, 0.1, 7]);
    const p = file('f32.npy', npy('<f4', [3, 2], false, new Uint8Array(f32.buffer), 2));
    const rec = await readRecording(p);
    expectSameNumbers(rec.data, [0.5, Math.fround(1.1), -2.25, Math.fround(3.3), Math.fround(0.1), 7]);
  });

  it('int32 and int64 are converted to float64; unit-by-time layout transposes', async () => {
    const i32 = file('i32.npy', npy('<i4', [2, 3], false, new Uint8Array(Int32Array.from([1, -2, 3, 4, 5, -6]).buffer)));
    const rec = await readRecording(i32, { layout: 'unit-by-time' });
    expect(rec.nUnits).toBe(2);
    expect(rec.nSamples).toBe(3);
    expectSameNumbers(rec.data, [1, 4, -2, 5, 3, -6]);
    const i64 = file('i64.npy', npy('<i8', [2, 2], false, new Uint8Array(BigInt64Array.from([1n, 2n, -3n, 4n]).buffer)));
    expectSameNumbers((await readRecording(i64)).data, [1, 2, -3, 4]);
  });

  it('big-endian and other dtypes are rejected naming the dtype', async () => {
    const be = file('be.npy', npy('>f8', [2, 2], false, new Uint8Array(32)));
    const err = await readError(be);
    expect(err.message).toContain('be.npy');
    expect(err.message).toContain("unsupported dtype '>f8'");
    expect(err.message).toContain("expected little-endian float64 '<f8'");
    const c16 = file('c16.npy', npy('<c16', [1, 2], false, new Uint8Array(32)));
    expect((await readError(c16)).message).toContain("unsupported dtype '<c16'");
  });

  it('1-D arrays, truncated data and NaN are rejected with where and what', async () => {
    const oneD = file('oned.npy', npy('<f8', [4], false, new Uint8Array(32)));
    expect((await readError(oneD)).message).toMatch(/oned\.npy shape: expected a 2-D array \(samples × units\), got shape \(4,\)/);
    const short = file('short.npy', npy('<f8', [4, 2], false, new Uint8Array(16)));
    expect((await readError(short)).message).toContain('file is truncated: shape (4, 2) of \'<f8\' needs 64 bytes of data, found 16');
    const nan = file('nan.npy', npy('<f8', [2, 2], false, new Uint8Array(Float64Array.from([1, 2, 3, NaN]).buffer)));
    const err = await readError(nan);
    expect(err.message).toContain('nan.npy element [1, 1]');
    expect(err.message).toContain('value is NaN; expected a finite number');
  });
});

describe('JSON reading', () => {
  it('unit-by-time layout with names', async () => {
    const p = file('ubt.json', JSON.stringify({ dt: 0.5, unitNames: ['p', 'q'], data: [[1, 2, 3], [4, 6, 5]] }));
    const rec = await readRecording(p, { layout: 'unit-by-time' });
    expect(rec.unitNames).toEqual(['p', 'q']);
    expect(rec.dt).toBe(0.5);
    expectSameNumbers(rec.data, [1, 4, 2, 6, 3, 5]);
  });

  it('schema errors name the field path', async () => {
    const bad = file('bad-type.json', JSON.stringify({ data: [[1, 2], [3, 'x']] }));
    const err = await readError(bad);
    expect(err.message).toContain('bad-type.json data[1][1]');
    expect(err.message).toContain('expected number');
    const inf = file('inf.json', '{"data": [[1, 2], [3, 1e999]]}');
    expect((await readError(inf)).message).toMatch(/inf\.json data\[1\]\[1\]: .*expected a finite number/);
    const ragged = file('ragged.json', JSON.stringify({ data: [[1, 2], [3, 4], [5]] }));
    expect((await readError(ragged)).message).toContain('ragged.json data[2]: data[2] has 1 values, expected 2');
    const empty = file('empty.json', JSON.stringify({ data: [] }));
    expect((await readError(empty)).message).toContain('empty.json data: no data rows');
    const syntax = file('syntax.json', '{"data": [[1, 2],\n [3, 4]');
    const se = await readError(syntax);
    // where the array should have closed: line 2, column 8 (JSON.parse of Node 20 gives no position here)
    expect(se.message).toContain("syntax.json:2:8: invalid JSON: expected ',' or ']', found the end of the file");
    const names = file('names.json', JSON.stringify({ unitNames: ['a'], data: [[1, 2], [3, 4]] }));
    expect((await readError(names)).message).toContain('names.json unitNames: has 1 unit names but the data has 2 units');
  });
});

describe('bad CSV input: messages name the file, line, column and what was expected', () => {
  it('empty file and header-only file', async () => {
    const empty = await readError(file('empty.csv', ''));
    expect(empty.message).toBe(`${join(dir, 'empty.csv')}: no data rows; expected a header line of unit names followed by lines of numbers`);
    const headerOnly = await readError(file('header-only.csv', 'a,b,c\n\n'));
    expect(headerOnly.message).toContain('header-only.csv: no data rows');
  });

  it('ragged rows', async () => {
    const p = file('ragged.csv', 'a,b,c\n1,2,3\n\n4,5\n');
    const err = await readError(p);
    expect(err.message).toBe(`${p}:4: line 4 has 2 fields, expected 3 (as in the header on line 1)`);
    expect(err.location.line).toBe(4);
    const long = file('ragged-long.csv', '1,2\n3,4\n5,6,7\n');
    expect((await readError(long, { header: false })).message).toBe(`${long}:3: line 3 has 3 fields, expected 2 (as in the first data line)`);
    // csv-parse path (a quoted header) reports the same line.
    const quoted = file('ragged-quoted.csv', '"a",b,c\n1,2,3\n4,5\n');
    expect((await readError(quoted)).message).toBe(`${quoted}:3: line 3 has 2 fields, expected 3 (as in the header on line 1)`);
  });

  it('non-numeric cell', async () => {
    const p = file('text.csv', 'a,b,c\n1,2,3\n4,abc,6\n');
    const err = await readError(p);
    expect(err.message).toBe(`${p}:3:2: expected a number (column 'b'), got 'abc'`);
    expect(err.location).toMatchObject({ line: 3, column: 2 });
    const quoted = file('text-quoted.csv', '"a",b,c\n1,2,3\n4,"x y",6\n');
    expect((await readError(quoted)).message).toBe(`${quoted}:3:2: expected a number (column 'b'), got 'x y'`);
    const empty = file('empty-cell.csv', 'a,b,c\n1,2,3\n4,5,\n');
    expect((await readError(empty)).message).toBe(`${empty}:3:3: empty cell (column 'c'); expected a number`);
  });

  it('NaN and ±Inf', async () => {
    const p = file('nan.csv', 'a,b,c\n1,2,3\n4,5,NaN\n');
    const err = await readError(p);
    expect(err.message).toBe(`${p}:3:3: 'NaN' (column 'c') is not a finite number; expected a finite number (NaN and ±Inf are not allowed)`);
    const inf = file('inf.csv', '1,2,3\n-Infinity,5,6\n');
    expect((await readError(inf, { header: false })).message).toContain(`${inf}:2:1: '-Infinity' is not a finite number`);
    const overflow = file('overflow.csv', '1,2,3\n4,1e400,6\n');
    expect((await readError(overflow, { header: false })).message).toContain(`${overflow}:2:2: '1e400' is not a finite number`);
  });

  it('non-increasing and non-uniform time column', async () => {
    const back = file('time-back.csv', 'time,a,b\n0,1,2\n1,2,3\n0.5,3,1\n');
    const e1 = await readError(back);
    expect(e1.message).toBe(`${back}:4:1: time 'time' must be strictly increasing, but 0.5 follows 1`);
    const gap = file('time-gap.csv', 't,a,b\n0,1,2\n1,2,3\n2,3,1\n3.5,1,1\n4.5,2,2\n');
    const e2 = await readError(gap);
    expect(e2.message).toContain(`${gap}:5:1: time 't' is not uniformly sampled: step 1.5 (from 2 to 3.5), expected 1 (the median step)`);
    expect(e2.location.line).toBe(5);
  });

  it('fewer than 2 units after dropping constant ones', async () => {
    const p = file('one-unit.csv', 'a,b,c\n1,7,0\n2,7,0\n3,7,0\n');
    const err = await readError(p);
    expect(err.message).toBe(`${p}: needs at least 2 units whose values vary, got 1 (constant units dropped: b, c)`);
    const single = file('single.csv', 'a\n1\n2\n');
    expect((await readError(single)).message).toContain('needs at least 2 units whose values vary, got 1');
  });

  it('fewer samples than minSamples', async () => {
    const p = file('short.csv', 'a,b\n1,2\n2,1\n3,3\n');
    expect((await readError(p, { minSamples: 100 })).message).toBe(`${p}: needs at least 100 samples for the requested fit, got 3`);
    expect((await readRecording(p, { minSamples: 3 })).nSamples).toBe(3);
  });

  it('unknown unit, header that is really data, duplicate names, unknown extension, missing file', async () => {
    const p = file('names.csv', 'a,b,c\n1,2,3\n2,1,0\n');
    expect((await readError(p, { units: ['a', 'zz'] })).message).toBe(`${p} units: unknown unit 'zz'; the file has units a, b, c`);
    const data = file('noheader.csv', '0.5,1.25\n1,2\n');
    expect((await readError(data)).message).toContain(`${data}:1:1: the header line looks like data`);
    expect((await readError(data)).message).toContain('--no-header');
    const dup = file('dup.csv', 'a,b,a\n1,2,3\n2,1,0\n');
    expect((await readError(dup)).message).toBe(`${dup}:1:3: duplicate unit name 'a' (column 1 and column 3); expected distinct names`);
    const dat = file('x.dat', '1,2\n');
    expect((await readError(dat)).message).toContain("cannot tell the format from the extension '.dat'");
    expect((await readError(join(dir, 'missing.csv'))).message).toContain('missing.csv: no such file');
  });
});

const ZEBRAFISH = join(dataDirectory(), 'zebrafish-tectum-triplett2018-f1', 'zf_20151104-f1_activity_matrix.csv');

describe('real data', () => {
  it.skipIf(!existsSync(ZEBRAFISH))('zebrafish tectum activity matrix: 114 units × 4245 frames at 2.2 Hz', async () => {
    const rec = await readRecording(ZEBRAFISH, { layout: 'unit-by-time', header: false, dt: 1 / 2.2 });
    expect(rec.nUnits).toBe(114);
    expect(rec.nSamples).toBe(4245);
    expect(rec.dt).toBe(1 / 2.2);
    expect(rec.droppedConstantUnits).toEqual([]);
    expect(rec.unitNames[113]).toBe('u113');
    expect(rec.data[0]).toBe(0.19215); // first value of the file (unit 0, frame 0)
    expect(rec.data[1]).toBeTypeOf('number');
    expect(rec.source?.sha256).toBe('a93ec1a24df02a76171f3198b77d4e62442e6d37cc5deef2c7a7625382badbf2');
  });

  it.skipIf(!existsSync(ZEBRAFISH))('a registered file whose SHA-256 is not the registry\'s is refused; the data directory reports it as changed', async () => {
    const data = mkdtempSync(join(tmpdir(), 'connfit-data-'));
    const saved = process.env.CONNFIT_DATA;
    try {
      const rel = 'zebrafish-tectum-triplett2018-f1/zf_20151104-f1_activity_matrix.csv';
      mkdirSync(join(data, 'zebrafish-tectum-triplett2018-f1'));
      const copy = join(data, rel);
      const text = readFileSync(ZEBRAFISH, 'utf8');
      writeFileSync(copy, text);
      process.env.CONNFIT_DATA = data;
      const opts = { layout: 'unit-by-time', header: false, dt: 1 / 2.2 } as const;
      expect((await readRecording(copy, opts)).nUnits).toBe(114); // an exact copy is the dataset
      expect((await datasetStatus()).find((d) => d.name === 'zebrafish-tectum-triplett2018-f1')!.status).toBe('ok');
      writeFileSync(copy, text.replace('0.19215', '0.19216')); // one value changed
      await expect(readRecording(copy, opts)).rejects.toThrow(/dataset 'zebrafish-tectum-triplett2018-f1' .*SHA-256 .* is not the registry's a93ec1a24df0…: the file was changed/);
      const status = await datasetStatus();
      expect(status.find((d) => d.name === 'zebrafish-tectum-triplett2018-f1')!.status).toBe('changed');
      expect(status.find((d) => d.name === 'celegans-cook2019-herm')!.status).toBe('missing');
      // outside the data directory the same bytes are just a recording
      const outside = join(tmpdir(), `connfit-zf-${process.pid}.csv`);
      writeFileSync(outside, readFileSync(copy));
      expect((await readRecording(outside, opts)).nUnits).toBe(114);
      rmSync(outside);
    } finally {
      if (saved === undefined) delete process.env.CONNFIT_DATA;
      else process.env.CONNFIT_DATA = saved;
      rmSync(data, { recursive: true, force: true });
    }
  });
});
