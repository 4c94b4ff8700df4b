import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import ts from 'typescript';

import { ServerProcess, spawnServer } from '../support/server-process';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../support/test-env';
import { until } from '../support/wait';

/**
 * The JS SDK's request and response types (sdk/js/src/types.ts) against the OpenAPI document the built
 * server serves at /api/docs-json: every field the server sends or takes is in the SDK type and nothing
 * else, and a field the server requires is required in the SDK's request types. A changed route or DTO
 * breaks this test until the SDK follows.
 */

const TYPES = resolve(__dirname, '../../sdk/js/src/types.ts');

type Schema = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Field {
  name: string;
  optional: boolean;
}

/**
 * Where a type's shape is in the document: a request body, a GET's query, a success response, a
 * list's item, or a component.
 */
type Place =
  | { request: string }
  | { query: string }
  | { response: string }
  | { item: string }
  | { component: string };

const CHECKS: [string, Place][] = [
  ['LoginParams', { request: 'post /api/v1/auth/login' }],
  ['Token', { response: 'post /api/v1/auth/login' }],
  ['ApiKeyCreateParams', { request: 'post /api/v1/api-keys' }],
  ['CreatedApiKey', { response: 'post /api/v1/api-keys' }],
  ['ApiKey', { item: 'get /api/v1/api-keys' }],
  ['User', { response: 'get /api/v1/users/me' }],
  ['User', { item: 'get /api/v1/users' }],
  ['UserCreateParams', { request: 'post /api/v1/users' }],
  ['UserUpdateParams', { request: 'patch /api/v1/users/{id}' }],
  ['ModelList', { response: 'get /api/v1/models' }],
  ['Model', { item: 'get /api/v1/models' }],
  ['ChatParams', { request: 'post /api/v1/chat' }],
  ['ChatParams', { request: 'post /api/v1/chat/stream' }],
  ['ChatResponse', { response: 'post /api/v1/chat' }],
  ['TokenUsage', { component: 'TokenUsageDto' }],
  ['ChatChunk', { component: 'ChatStreamChunkDto' }],
  ['ChatUsage', { component: 'ChatStreamUsageDto' }],
  ['Session', { response: 'post /api/v1/sessions' }],
  ['Session', { item: 'get /api/v1/sessions' }],
  ['SessionCreateParams', { request: 'post /api/v1/sessions' }],
  ['SessionUpdateParams', { request: 'patch /api/v1/sessions/{id}' }],
  ['Message', { item: 'get /api/v1/sessions/{id}/messages' }],
  ['Config', { response: 'get /api/v1/config' }],
  ['ConfigUpdateParams', { request: 'patch /api/v1/config' }],
  ['Skill', { response: 'get /api/v1/skills/{name}' }],
  ['Skill', { item: 'get /api/v1/skills' }],
  ['SkillCreateParams', { request: 'post /api/v1/skills' }],
  ['SkillUpdateParams', { request: 'patch /api/v1/skills/{name}' }],
  ['SkillRun', { response: 'post /api/v1/skills/{name}/run' }],
  ['SkillRun', { item: 'get /api/v1/skills/{name}/runs' }],
  ['SkillRunParams', { request: 'post /api/v1/skills/{name}/run' }],
  ['Webhook', { response: 'get /api/v1/webhooks/{id}' }],
  ['Webhook', { item: 'get /api/v1/webhooks' }],
  ['WebhookCreateParams', { request: 'post /api/v1/webhooks' }],
  ['WebhookUpdateParams', { request: 'patch /api/v1/webhooks/{id}' }],
  ['Delivery', { response: 'get /api/v1/webhooks/{id}/deliveries/{deliveryId}' }],
  ['Delivery', { item: 'get /api/v1/webhooks/{id}/deliveries' }],
  ['DeliveryAttempt', { component: 'AttemptResponseDto' }],
  ['TestDelivery', { response: 'post /api/v1/webhooks/{id}/test' }],
  ['ErrorEnvelope', { component: 'ErrorEnvelopeDto' }],
  ['UserQuota', { component: 'UserQuotaDto' }],
  ['UsageReportParams', { query: 'get /api/v1/usage' }],
  ['UsageReport', { response: 'get /api/v1/usage' }],
  ['UsageGroup', { component: 'UsageGroupDto' }],
  ['UsageTotals', { component: 'UsageTotalsDto' }],
  ['UsageRecordListParams', { query: 'get /api/v1/usage/records' }],
  ['UsageRecord', { item: 'get /api/v1/usage/records' }],
];

/** Every page of the API's own list routes has the SDK's Page<T> shape. */
const LISTS = [
  'get /api/v1/api-keys',
  'get /api/v1/users',
  'get /api/v1/sessions',
  'get /api/v1/sessions/{id}/messages',
  'get /api/v1/skills',
  'get /api/v1/skills/{name}/runs',
  'get /api/v1/webhooks',
  'get /api/v1/webhooks/{id}/deliveries',
  'get /api/v1/usage/records',
];

/** The properties of every exported type of types.ts, as the TypeScript checker sees them. */
function sdkTypes(): Map<string, Field[]> {
  const program = ts.createProgram([TYPES], { strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(TYPES)!;
  const out = new Map<string, Field[]>();
  for (const symbol of checker.getExportsOfModule(checker.getSymbolAtLocation(source)!)) {
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    // Unions of literals (Role, SkillRunStatus…) are values, not shapes.
    if (!(type.flags & ts.TypeFlags.Object)) continue;
    out.set(
      symbol.name,
      checker.getPropertiesOfType(type).map((p) => ({
        name: p.name,
        optional: (p.flags & ts.SymbolFlags.Optional) !== 0,
      })),
    );
  }
  return out;
}

describe('SDK types against the server OpenAPI document (SPEC §12)', () => {
  let server: ServerProcess;
  let doc: Schema;
  const types = sdkTypes();

  beforeAll(async () => {
    server = spawnServer({
      NODE_ENV: 'test',
      // No queue workers: they would take jobs of other tests sharing this Redis database.
      ROLE: 'api',
      DATABASE_URL: `sqlite:${join(mkdtempSync(join(tmpdir(), 'openclaw-sdk-types-')), 'openclaw.db')}`,
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
      LOG_LEVEL: 'error',
    });
    doc = await until(
      'the OpenAPI document',
      async () => {
        const res = await fetch(`http://127.0.0.1:${server.port}/api/docs-json`).catch(() => null);
        return res?.status === 200 ? ((await res.json()) as Schema) : undefined;
      },
      30000,
    );
  });
  afterAll(() => server.stop());

  /** The object schema itself: `$ref`s followed, `allOf`s merged. */
  const object = (schema: Schema): Schema => {
    if (schema.$ref) return object(doc.components.schemas[schema.$ref.split('/').pop()]);
    if (schema.allOf) {
      const parts = (schema.allOf as Schema[]).map(object);
      return {
        properties: Object.assign({}, ...parts.map((p) => p.properties)),
        required: parts.flatMap((p) => p.required ?? []),
      };
    }
    return schema;
  };
  const operation = (route: string): Schema => {
    const [method, path] = route.split(' ');
    const op = doc.paths[path]?.[method];
    if (!op) throw new Error(`the document has no ${route}`);
    return op;
  };
  const success = (route: string): Schema => {
    const ok = Object.entries(operation(route).responses as Schema).find(([s]) =>
      s.startsWith('2'),
    )!;
    return object(ok[1].content['application/json'].schema);
  };
  const schemaAt = (place: Place): Schema => {
    if ('request' in place)
      return object(operation(place.request).requestBody.content['application/json'].schema);
    if ('query' in place) return { properties: {} };
    if ('response' in place) return success(place.response);
    if ('item' in place) return object(success(place.item).properties.data.items);
    return object({ $ref: `#/components/schemas/${place.component}` });
  };

  it('the test knows every exported object type of the SDK', () => {
    const objects = [...types.keys()];
    const checked = new Set([
      ...CHECKS.map(([name]) => name),
      'Page',
      'ListParams',
      'WebhookEvent',
      'WebhookWithSecret',
    ]);
    expect(objects.filter((name) => !checked.has(name))).toEqual([]);
  });

  it.each(CHECKS)('%s has the fields of %j', (name, place) => {
    const fields = types.get(name);
    if (!fields) throw new Error(`sdk/js/src/types.ts exports no ${name}`);
    const schema = schemaAt(place);
    // A request's params are its JSON body and its query (`wait` of a skill run).
    const route = 'request' in place ? place.request : 'query' in place ? place.query : undefined;
    const query: Schema[] = route
      ? (operation(route).parameters ?? []).filter((p: Schema) => p.in === 'query')
      : [];
    const sent = [...Object.keys(schema.properties ?? {}), ...query.map((p) => p.name)].sort();
    expect(fields.map((f) => f.name).sort()).toEqual(sent);
    if (route) {
      const required = [
        ...(schema.required ?? []),
        ...query.filter((p) => p.required).map((p) => p.name),
      ].sort();
      expect(
        fields
          .filter((f) => !f.optional)
          .map((f) => f.name)
          .sort(),
      ).toEqual(required);
    }
  });

  it('WebhookWithSecret is a webhook as created or rotated, with its secret', () => {
    const schema = success('post /api/v1/webhooks/{id}/rotate-secret');
    const fields = types.get('WebhookWithSecret')!;
    expect(fields.map((f) => f.name).sort()).toEqual(Object.keys(schema.properties).sort());
    expect(fields.find((f) => f.name === 'secret')!.optional).toBe(false);
  });

  it.each(LISTS)('%s pages as Page<T> and takes ListParams', (route) => {
    const page = types
      .get('Page')!
      .map((f) => f.name)
      .sort();
    expect(Object.keys(success(route).properties).sort()).toEqual(page);
    const query = (operation(route).parameters as Schema[])
      .filter((p) => p.in === 'query')
      .map((p) => p.name);
    for (const param of types.get('ListParams')!.map((f) => f.name)) expect(query).toContain(param);
  });
});
