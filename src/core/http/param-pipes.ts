import type { PipeTransform } from '@nestjs/common';
import { ParamsTokenFactory } from '@nestjs/core/pipes/params-token-factory';
import {
  type ParamProperties,
  RouterExecutionContext,
} from '@nestjs/core/router/router-execution-context';

import { firstPatch } from './patch-once';

type Param = ParamProperties & { metatype?: unknown };
type Extract = (req: unknown, res: unknown, next: unknown) => unknown;
type Metadata = Parameters<PipeTransform['transform']>[1];
type ApplyPipes = (args: unknown[], req: unknown, res: unknown, next: unknown) => unknown;

/** A handler parameter as its route needs it at every request: found once, when the route is set up. */
interface ParamStep {
  index: number;
  extract: Extract;
  /** null for what no pipe sees (the request, the response, headers…): passed as it came. */
  pipes: PipeTransform[] | null;
  metadata: Metadata;
}

interface PipesHost {
  isPipeable(type: number | string): boolean;
  createPipesFn(pipes: PipeTransform[], params: Param[]): ApplyPipes | null;
}

const INLINE = Symbol('paramPipesInline');
const tokens = new ParamsTokenFactory();

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

/**
 * Nest passes a request's handler parameters through their pipes with an async function, a
 * `Promise.all`, a new pipes array, two metadata objects and an async `reduce` per parameter, even
 * when every pipe answers at once: 6 % of what a chat turn allocated (bench/results/analysis.md).
 * Here the parameters go through the same pipes, in the same order and with the same metadata,
 * found once per route; the request stays synchronous until a value or a pipe's answer is a
 * promise, and from there awaits each as Nest does. Parameters are resolved one after another
 * rather than side by side, so of two failing ones the first in the signature is the one reported.
 */
export function inlineParamPipes(
  context: PipesHost = RouterExecutionContext.prototype as unknown as PipesHost,
): void {
  if (!firstPatch(context, INLINE)) return;
  context.createPipesFn = function (this: PipesHost, pipes, params) {
    if (params.length === 0) return null;
    // Nest lists them last parameter first (decorators run from the last); the signature's order is
    // the one a caller can count on: an id before the body answers 404 before any 400 of the body.
    const inOrder = [...params].sort((a, b) => a.index - b.index);
    const steps: ParamStep[] = inOrder.map(
      ({ index, extractValue, type, data, metatype, pipes: own }) => ({
        index,
        extract: extractValue as Extract,
        pipes: this.isPipeable(type) ? pipes.concat(own) : null,
        // Shared by every request of the route; frozen so a pipe that writes to it fails loudly.
        metadata: Object.freeze({
          metatype,
          type: tokens.exchangeEnumForString(type as never),
          data,
        }) as Metadata,
      }),
    );
    return (args, req, res, next) => applyFrom(steps, 0, args, req, res, next);
  };
}

/** Steps from `from` on, synchronously while nothing is a promise. */
function applyFrom(
  steps: ParamStep[],
  from: number,
  args: unknown[],
  req: unknown,
  res: unknown,
  next: unknown,
): Promise<void> | undefined {
  for (let i = from; i < steps.length; i++) {
    const { index, extract, pipes, metadata } = steps[i];
    let value = extract(req, res, next);
    if (pipes === null) {
      args[index] = value;
      continue;
    }
    for (let p = 0; p < pipes.length; p++) {
      if (isThenable(value)) return finishAsync(steps, i, p, value, args, req, res, next);
      value = pipes[p].transform(value, metadata);
    }
    // Nest awaits a pipeable parameter's value, pipes or none.
    if (isThenable(value)) return finishAsync(steps, i, pipes.length, value, args, req, res, next);
    args[index] = value;
  }
  return undefined;
}

/** Step `i` awaits `pending` before its pipe `p`; then the rest, from the next step on. */
async function finishAsync(
  steps: ParamStep[],
  i: number,
  p: number,
  pending: PromiseLike<unknown>,
  args: unknown[],
  req: unknown,
  res: unknown,
  next: unknown,
): Promise<void> {
  const { index, pipes, metadata } = steps[i];
  let value = await pending;
  for (let q = p; q < pipes!.length; q++) value = await pipes![q].transform(value, metadata);
  args[index] = value;
  await applyFrom(steps, i + 1, args, req, res, next);
}
