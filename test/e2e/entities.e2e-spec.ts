import { ENTITIES } from '../../src/entities';
import { startTestApp, TestApp } from '../support/test-app';

/** Modules register their own entities (core/ lists none): the CLI's list must not drift from them. */
describe('entities registered by their modules', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('the app loads exactly the entities of src/entities.ts (the TypeORM CLI list)', () => {
    const names = (list: unknown[]) => list.map((e) => (e as { name: string }).name).sort();
    expect(names(t.db.entityMetadatas.map((m) => m.target))).toEqual(names(ENTITIES));
  });
});
