import { StreamableFile } from '@nestjs/common';
import type { Response } from 'express';

/** Statuses whose responses carry no body: Express's own handling stays in charge of them. */
const BODILESS = new Set([204, 205, 304]);

/**
 * Writes a handler's object as JSON, with the headers `res.json` would set, in one step; false when
 * the answer is no plain JSON object (nothing written then: Express's own path is for it).
 *
 * `res.json` reads four app settings, then `res.send` parses its own Content-Type back to add the
 * charset (content-type's parser, then mime-types), copies an answer of 1,000 characters or more
 * into a Buffer, and checks freshness against an ETag and Last-Modified that no API route sets
 * (without them: a messages page −5 % CPU, a chat turn −4 %; bench/results/2026-12-06-f.md). What is
 * written here is what `res.json` would have sent: no JSON setting is changed (configure-app) and
 * ETags are off. No body, a file, an Error, a Content-Type of the handler's own or a bodiless
 * status are not written here.
 */
export function sendJson(response: Response, body: unknown, statusCode?: number): boolean {
  if (
    body === null ||
    typeof body !== 'object' ||
    body instanceof StreamableFile ||
    body instanceof Error ||
    ArrayBuffer.isView(body) ||
    response.hasHeader('Content-Type') ||
    BODILESS.has(statusCode ?? response.statusCode)
  )
    return false;
  const json = JSON.stringify(body) as string | undefined;
  if (json === undefined) return false;
  if (statusCode) response.statusCode = statusCode;
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.setHeader('Content-Length', Buffer.byteLength(json));
  // A HEAD request's answer keeps its headers; Node leaves out the body itself.
  response.end(json);
  return true;
}
