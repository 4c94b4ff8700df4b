import 'reflect-metadata';

import { Type } from 'class-transformer';
import {
  IsDefined,
  IsInt,
  IsOptional,
  IsString,
  MetadataStorage,
  validate,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

import { cacheValidationRules, skipUncheckedFields } from './validation-rules-cache';

class Parent {
  @IsString()
  name!: unknown;
}

class Child extends Parent {
  @IsInt()
  age!: unknown;
}

const failed = async (value: object) =>
  (await validate(value, { forbidUnknownValues: true })).map((e) => e.property).sort();

describe('cacheValidationRules', () => {
  beforeAll(() => cacheValidationRules());

  it('finds the same rules as before, inherited ones included, every time', async () => {
    const child = Object.assign(new Child(), { name: 1, age: 'x' });
    expect(await failed(child)).toEqual(['age', 'name']);
    expect(await failed(child)).toEqual(['age', 'name']);
    expect(await failed(Object.assign(new Child(), { name: 'a', age: 3 }))).toEqual([]);
    expect(await failed(Object.assign(new Parent(), { name: 2 }))).toEqual(['name']);
  });

  it('sees a rule added after a lookup', async () => {
    class Late {
      @IsString()
      a!: unknown;
      b!: unknown;
    }
    const late = Object.assign(new Late(), { a: 'ok', b: 5 });
    expect(await failed(late)).toEqual([]);
    IsString()(Late.prototype, 'b');
    expect(await failed(late)).toEqual(['b']);
  });

  it('is installed once, whatever the number of calls', () => {
    const storage = new MetadataStorage();
    cacheValidationRules(storage);
    const installed = storage.getTargetValidationMetadatas;
    cacheValidationRules(storage);
    expect(storage.getTargetValidationMetadatas).toBe(installed);
  });
});

class Inner {
  @IsInt()
  n!: unknown;

  @IsOptional()
  @IsString()
  note?: unknown;
}

class Outer {
  @IsDefined()
  @IsString()
  id!: unknown;

  @IsOptional()
  @IsInt()
  count?: unknown;

  @ValidateIf((o: Outer) => o.count !== undefined)
  @IsString()
  unit?: unknown;

  @IsOptional()
  @ValidateNested()
  @Type(() => Inner)
  inner?: unknown;
}

describe('skipUncheckedFields', () => {
  const cases: object[] = [
    {},
    { id: 'a' },
    { id: 'a', count: null },
    { id: 5, count: 'x', unit: 3 },
    { id: 'a', count: 1 },
    { id: 'a', count: 1, unit: 'kg' },
    { id: 'a', inner: { n: 'x', note: 4 } },
    { id: 'a', inner: { n: 1 } },
    { id: 'a', inner: Object.assign(new Inner(), { n: 2, note: undefined }) },
  ];
  const outcome = async (value: object) =>
    validate(Object.assign(new Outer(), value), {
      whitelist: true,
      forbidNonWhitelisted: true,
      validationError: { target: false, value: false },
    });

  it('gives every object the errors class-validator gave it without the shortcut', async () => {
    const before = await Promise.all(cases.map(outcome));
    expect(before.filter((errors) => errors.length > 0).length).toBeGreaterThan(3);
    skipUncheckedFields();
    expect(await Promise.all(cases.map(outcome))).toEqual(before);
  });
});
