import { IsInt, IsString, MetadataStorage, validate } from 'class-validator';

import { cacheValidationRules } from './validation-rules-cache';

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
