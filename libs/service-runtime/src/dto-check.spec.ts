import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBase64, IsBoolean, IsIn, IsInt, IsNotEmpty, IsObject, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateNested,
} from 'class-validator';
import { compileDtoCheck } from './dto-check';
import { dtoCheckCounterexample } from './dto-check.testing';

class Part {
  @IsUUID('all') id!: string;
  @IsInt() @Min(0) @Max(9) n!: number;
}

class Whole {
  @IsString() @Matches(/^[a-z]{1,5}$/) name!: string;
  @IsIn(['a', 'b']) kind!: 'a' | 'b';
  @IsOptional() @IsBoolean() flag?: boolean;
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(3) @ArrayUnique() @IsString({ each: true }) @Matches(/^[a-z]+$/, { each: true }) tags!: string[];
  @IsString() @IsNotEmpty() @MaxLength(12) @IsBase64() data!: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => Part) parts!: Part[];
  @IsObject() @ValidateNested() @Type(() => Part) main!: Part;
}

class Converted {
  @Transform(({ value }) => Number(value)) @IsInt() size!: number;
}

const UUID = '4b700076-9691-4935-9e9b-707c1425fd29';
const valid = { name: 'abc', kind: 'a', tags: ['x', 'y'], data: 'AAAA', parts: [{ id: UUID, n: 1 }], main: { id: UUID.toUpperCase(), n: 9 } };

describe('compileDtoCheck', () => {
  const check = compileDtoCheck(Whole)!;

  it('passes what class-validator passes', () => {
    expect(check(valid)).toBe(valid); // no conversions: the value itself goes on
    expect(check({ ...valid, flag: true })).toBeDefined();
    expect(check({ ...valid, flag: null })).toBeDefined(); // @IsOptional skips null, as class-validator does
    expect(check({ ...valid, data: 'AAAAAA==' })).toBeDefined();
  });

  it.each([
    ['a name off the pattern', { ...valid, name: 'ABC' }],
    ['a kind outside the list', { ...valid, kind: 'c' }],
    ['a flag that is a string', { ...valid, flag: 'yes' }],
    ['no tags', { ...valid, tags: [] }],
    ['four tags', { ...valid, tags: ['a', 'b', 'c', 'd'] }],
    ['a tag twice', { ...valid, tags: ['a', 'a'] }],
    ['a tag that is a number', { ...valid, tags: [1] }],
    ['tags that are a string', { ...valid, tags: 'x' }],
    ['data not base64', { ...valid, data: 'AAA' }],
    ['data too long', { ...valid, data: 'AAAAAAAAAAAAAAAA' }],
    ['data empty', { ...valid, data: '' }],
    ['a part with a bad ID', { ...valid, parts: [{ id: 'x', n: 1 }] }],
    ['a part with a fraction', { ...valid, parts: [{ id: UUID, n: 1.5 }] }],
    ['a part that is a string', { ...valid, parts: ['x'] }],
    ['a part with an extra field', { ...valid, parts: [{ id: UUID, n: 1, x: 1 }] }],
    ['main that is an array', { ...valid, main: [{ id: UUID, n: 1 }] }],
    ['no main', { ...valid, main: undefined }],
    ['an extra field', { ...valid, extra: 1 }],
    ['no name', { ...valid, name: undefined }],
    ['an array', [valid]],
    ['null', null],
    ['a string', 'abc'],
  ])('refuses %s', (_what, value) => {
    expect(check(JSON.parse(JSON.stringify(value ?? null)))).toBeUndefined();
  });

  it('converts as class-transformer does (@Transform), on a copy, before the rules', () => {
    const converted = compileDtoCheck(Converted)!;
    const given = { size: '12' };
    expect(converted(given)).toEqual({ size: 12 });
    expect(given).toEqual({ size: '12' });
    expect(converted({ size: '1.5' })).toBeUndefined();
    expect(converted({})).toBeUndefined(); // absent: not converted, and @IsInt refuses it
    expect(converted({ size: '3', other: 1 })).toBeUndefined();
  });

  it('leaves nested conversions and rule-less classes to class-validator', () => {
    class Outer {
      @ValidateNested() @Type(() => Converted) inner!: Converted;
    }
    expect(compileDtoCheck(Outer)).toBeUndefined();
    expect(compileDtoCheck(class Empty {})).toBeUndefined();
  });

  it('converts exactly as class-validator does (near misses, seeded)', async () => {
    expect(await dtoCheckCounterexample(Converted, [{ size: '7' }, { size: 7 }])).toBeUndefined();
  });

  it('never passes what class-validator refuses (near misses of valid values, seeded)', async () => {
    expect(await dtoCheckCounterexample(Whole, [valid, { ...valid, flag: false, tags: ['q'], parts: [] }])).toBeUndefined();
  });
});
