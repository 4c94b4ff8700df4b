import { StreamableFile } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Response } from 'express';

/** Statuses whose responses carry no body: Express's own handling stays in charge of them. */
const BODILESS = new Set([204, 205, 304]);

/**
 * Nest's Express adapter, with a handler's object answered as JSON in one step.
 *
 * `res.json` reads four app settings, then `res.send` parses its own Content-Type back to add the
 * charset (content-type's parser, then mime-types), copies an answer of 1,000 characters or more
 * into a Buffer, and checks freshness against an ETag and Last-Modified that no API route sets:
 * about 2 % of a chat turn's CPU and 4 % of a messages page's (bench/results/2026-12-06-f.md).
 * What reaches it is what `res.json` would have sent: no JSON setting is changed (configure-app),
 * ETags are off, and anything else (no body, a file, an Error, a Content-Type of the handler's
 * own, a bodiless status) goes through Nest's adapter as before.
 */
export class JsonRepliesAdapter extends ExpressAdapter {
  override reply(response: Response, body: unknown, statusCode?: number): unknown {
    if (
      body === null ||
      typeof body !== 'object' ||
      body instanceof StreamableFile ||
      body instanceof Error ||
      ArrayBuffer.isView(body) ||
      response.hasHeader('Content-Type') ||
      BODILESS.has(statusCode ?? response.statusCode)
    )
      return super.reply(response, body, statusCode);
    const json = JSON.stringify(body) as string | undefined;
    if (json === undefined) return super.reply(response, body, statusCode);
    if (statusCode) response.statusCode = statusCode;
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    response.setHeader('Content-Length', Buffer.byteLength(json));
    // A HEAD request's answer keeps its headers; Node leaves out the body itself.
    return response.end(json);
  }
}
