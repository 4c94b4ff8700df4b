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
  ValidatePromise,
} from 'class-validator';

import {
  cacheValidationRules,
  skipUncheckedFields,
  splitFieldRulesOnce,
} from './validation-rules-cache';

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

  @IsOptional()
  @ValidatePromise()
  @IsInt()
  later?: unknown;
}

/** No rules at all: class-validator's unknown value. */
class Bare {
  x?: unknown;
}

describe('skipUncheckedFields and splitFieldRulesOnce', () => {
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
    { id: 'a', extra: 1, more: 'x' },
    { id: 'a', later: Promise.resolve('x') },
    { id: 'a', later: Promise.resolve(3) },
    new Bare(),
  ];
  const optionSets = [
    {
      whitelist: true,
      forbidNonWhitelisted: true,
      validationError: { target: false, value: false },
    },
    { whitelist: true },
    { forbidUnknownValues: false },
    {},
  ];
  const outcomes = () =>
    Promise.all(
      optionSets.flatMap((options) =>
        cases.map((value) =>
          validate(value instanceof Bare ? value : Object.assign(new Outer(), value), options),
        ),
      ),
    );

  it('gives every object the errors class-validator gave it without the shortcuts', async () => {
    const before = await outcomes();
    expect(before.filter((errors) => errors.length > 0).length).toBeGreaterThan(20);
    skipUncheckedFields();
    expect(await outcomes()).toEqual(before);
    splitFieldRulesOnce();
    expect(await outcomes()).toEqual(before);
    expect(await outcomes()).toEqual(before);
  });
});
