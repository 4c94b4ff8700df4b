import 'reflect-metadata';

import type { ArgumentMetadata, PipeTransform } from '@nestjs/common';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { PipesConsumer } from '@nestjs/core/pipes/pipes-consumer';
import { RouterExecutionContext } from '@nestjs/core/router/router-execution-context';

import { inlineParamPipes } from './param-pipes';

type Apply = (args: unknown[], req: unknown, res: unknown, next: unknown) => unknown;
type Build = (pipes: PipeTransform[], params: unknown[]) => Apply | null;

/** Nest's own context, and one with the inline pipes on top of it. */
function contexts(): { nest: Build; inline: Build } {
  const nest = new (RouterExecutionContext as unknown as new (...deps: unknown[]) => object)(
    undefined,
    undefined,
    new PipesConsumer(),
  );
  const inline = Object.create(nest) as object;
  inlineParamPipes(inline as never);
  const build = (host: object) => (host as { createPipesFn: Build }).createPipesFn.bind(host);
  return { nest: build(nest), inline: build(inline) };
}

/** Pipes that note what they were given, by parameter. */
function recorder() {
  const seen: string[] = [];
  const note = (name: string, value: unknown, meta: ArgumentMetadata) =>
    seen.push(
      `${name} ${JSON.stringify(value)} ${meta.type} ${String(meta.data)} ${meta.metatype?.name}`,
    );
  const sync = (name: string): PipeTransform => ({
    transform: (value, meta) => {
      note(name, value, meta);
      return `${String(value)}>${name}`;
    },
  });
  const later = (name: string): PipeTransform => ({
    transform: async (value, meta) => {
      note(name, value, meta);
      await new Promise((resolve) => setImmediate(resolve));
      return `${String(value)}>${name}`;
    },
  });
  return { seen, sync, later };
}

function param(
  index: number,
  type: RouteParamtypes | string,
  value: unknown,
  pipes: PipeTransform[] = [],
) {
  return {
    index,
    type,
    data: `p${index}`,
    metatype: String,
    pipes,
    extractValue: (req: { [key: string]: unknown }) => req[`p${index}`] ?? value,
  };
}

describe(inlineParamPipes.name, () => {
  it('gives the handler what Nest gives it, each pipe the same value and metadata', async () => {
    const outcomes = [];
    for (const which of ['nest', 'inline'] as const) {
      const { seen, sync, later } = recorder();
      const build = contexts()[which];
      const apply = build(
        [sync('global')],
        [
          param(0, RouteParamtypes.BODY, 'body', [sync('own')]),
          param(1, 'user', 'me'),
          param(2, RouteParamtypes.REQUEST, 'raw'),
          param(3, RouteParamtypes.PARAM, 'id', [later('slow'), sync('after')]),
          param(4, RouteParamtypes.QUERY, Promise.resolve('promised')),
          param(5, RouteParamtypes.HEADERS, Promise.resolve('left alone')),
        ],
      )!;
      const args: unknown[] = new Array(6);
      await apply(args, {}, {}, () => undefined);
      outcomes.push({ args, seen: seen.sort() });
    }
    expect(outcomes[1].args.slice(0, 5)).toEqual(outcomes[0].args.slice(0, 5));
    // A header is passed as it came, a promise too, by both.
    for (const { args } of outcomes) expect(args[5]).toBeInstanceOf(Promise);
    expect(outcomes[1].seen).toEqual(outcomes[0].seen);
    expect(outcomes[0].args.slice(0, 5)).toEqual([
      'body>global>own',
      'me>global',
      'raw',
      'id>global>slow>after',
      'promised>global',
    ]);
  });

  it('stays synchronous while every pipe answers at once', () => {
    const { sync } = recorder();
    const apply = contexts().inline(
      [sync('global')],
      [param(0, RouteParamtypes.BODY, 'body'), param(1, RouteParamtypes.REQUEST, 'raw')],
    )!;
    const args: unknown[] = [];
    expect(apply(args, {}, {}, () => undefined)).toBeUndefined();
    expect(args).toEqual(['body>global', 'raw']);
  });

  it('fails with the error of the pipe that refused, sync or async, as Nest does', async () => {
    const refuse = (async: boolean): PipeTransform => ({
      transform: (value) => {
        const err = new Error(`refused ${String(value)}`);
        if (async) return Promise.reject(err);
        throw err;
      },
    });
    for (const async of [false, true]) {
      const errors = [];
      for (const which of ['nest', 'inline'] as const) {
        const apply = contexts()[which](
          [],
          [param(0, RouteParamtypes.BODY, 'body', [refuse(async)])],
        )!;
        errors.push(
          await (async () => apply([], {}, {}, () => undefined))().catch((e: Error) => e.message),
        );
      }
      expect(errors).toEqual(['refused body', 'refused body']);
    }
  });

  it("runs the parameters in the signature's order, whatever order Nest lists them in", () => {
    const refuse = (name: string): PipeTransform => ({
      transform: () => {
        throw new Error(`refused ${name}`);
      },
    });
    const apply = contexts().inline(
      [],
      // As Nest hands them over: the last parameter first.
      [
        param(1, RouteParamtypes.BODY, 'body', [refuse('body')]),
        param(0, RouteParamtypes.PARAM, 'id', [refuse('id')]),
      ],
    )!;
    expect(() => apply([], {}, {}, () => undefined)).toThrow('refused id');
  });

  it('shares one frozen metadata object per parameter, so a pipe cannot change it for the next request', () => {
    const metas: ArgumentMetadata[] = [];
    const apply = contexts().inline(
      [{ transform: (value: unknown, meta: ArgumentMetadata) => (metas.push(meta), value) }],
      [param(0, RouteParamtypes.BODY, 'body')],
    )!;
    apply([], {}, {}, () => undefined);
    apply([], {}, {}, () => undefined);
    expect(metas[0]).toBe(metas[1]);
    expect(Object.isFrozen(metas[0])).toBe(true);
    expect(metas[0]).toEqual({ metatype: String, type: 'body', data: 'p0' });
  });

  it('leaves a route without parameters without a pipes step', () => {
    expect(contexts().inline([], [])).toBeNull();
  });
});
