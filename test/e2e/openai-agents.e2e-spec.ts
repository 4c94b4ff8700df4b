import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { HumanMessage, ToolMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import OpenAI, { BadRequestError } from 'openai';
import { z } from 'zod';

import { createApiKey, createUser } from '../factories/users.factory';
import { FakeLlm, startFakeLlm } from '../support/fake-llm';
import { serverUrl } from '../support/sse';
import { startTestApp, TestApp } from '../support/test-app';

const WEATHER_TOOL: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } } },
  },
};

/**
 * Agents on /v1 (SPEC §10): tools, structured output, several choices and content parts pass
 * through to the provider and back, with the official `openai` package, LangChain and the Vercel AI
 * SDK, against the fake provider (model `gpt-4o`) and the offline `echo` model.
 */
describe('OpenAI-compatible endpoint for agents (SPEC §10)', () => {
  let t: TestApp;
  let llm: FakeLlm;
  let key: string;
  let baseURL: string;
  let client: OpenAI;

  beforeAll(async () => {
    llm = await startFakeLlm();
    t = await startTestApp({ OPENAI_API_KEY: 'sk-upstream', OPENAI_BASE_URL: llm.baseURL });
    baseURL = `${serverUrl(t.app.getHttpServer())}/v1`;
    const user = await createUser(t);
    key = await createApiKey(t, user.token);
    client = new OpenAI({ apiKey: key, baseURL, maxRetries: 0 });
  });
  afterAll(async () => {
    await t.close();
    await llm.close();
  });
  beforeEach(() => llm.reset());

  describe('with the openai package', () => {
    it('the fake provider: a tool call round trip, fields and messages passed on unchanged', async () => {
      llm.behave(
        { toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
        { reply: 'Sunny in Paris.' },
      );
      const messages: OpenAI.ChatCompletionMessageParam[] = [
        { role: 'user', content: 'Weather in Paris?' },
      ];
      const first = await client.chat.completions.create({
        model: 'gpt-4o',
        messages,
        tools: [WEATHER_TOOL],
        tool_choice: 'auto',
        parallel_tool_calls: false,
        seed: 7,
      });
      expect(first.choices[0].finish_reason).toBe('tool_calls');
      const call = first.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageToolCall;
      expect(call).toEqual({
        id: 'call_1',
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
      });
      messages.push(first.choices[0].message, {
        role: 'tool',
        tool_call_id: call.id,
        content: 'sunny',
      });
      const second = await client.chat.completions.create({
        model: 'gpt-4o',
        messages,
        tools: [WEATHER_TOOL],
      });
      expect(second.choices[0].message.content).toBe('Sunny in Paris.');

      expect(llm.requests[0].body).toMatchObject({
        tools: [WEATHER_TOOL],
        tool_choice: 'auto',
        parallel_tool_calls: false,
        seed: 7,
      });
      expect(llm.requests[1].body.messages).toEqual([
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          refusal: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      ]);
    });

    it("passes OpenAI's other request fields on as sent, and checks their types", async () => {
      const fields = {
        reasoning_effort: 'high',
        verbosity: 'low',
        service_tier: 'flex',
        store: true,
        metadata: { run: 'r1' },
        modalities: ['text'],
        prediction: { type: 'content', content: 'Sunny' },
        web_search_options: {},
        prompt_cache_key: 'weather',
        safety_identifier: 'user-42',
        functions: [WEATHER_TOOL.function],
        function_call: 'auto',
        max_completion_tokens: 50,
      };
      const post = (body: object) =>
        fetch(`${baseURL}/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'o4-mini',
            messages: [{ role: 'user', content: 'Weather?' }],
            ...body,
          }),
        });
      expect((await post(fields)).status).toBe(200);
      expect(llm.requests).toHaveLength(1);
      expect(llm.requests[0].body).toMatchObject(fields);
      expect(llm.requests[0].body).not.toHaveProperty('max_tokens');

      const wrong = await post({ reasoning_effort: 5 });
      expect(wrong.status).toBe(400);
      expect(await wrong.json()).toMatchObject({
        error: { type: 'invalid_request_error', param: 'reasoning_effort' },
      });
      expect(llm.requests).toHaveLength(1);
    });

    it('echo: calls the first tool with {} after a user message, then answers the tool message', async () => {
      const messages: OpenAI.ChatCompletionMessageParam[] = [
        { role: 'user', content: 'Weather in Paris?' },
      ];
      const first = await client.chat.completions.create({
        model: 'echo',
        messages,
        tools: [WEATHER_TOOL],
      });
      const call = first.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageToolCall;
      expect(first.choices[0].finish_reason).toBe('tool_calls');
      expect(call).toMatchObject({
        id: expect.stringMatching(/^call_/),
        type: 'function',
        function: { name: 'get_weather', arguments: '{}' },
      });
      messages.push(first.choices[0].message, {
        role: 'tool',
        tool_call_id: call.id,
        content: 'rain all day',
      });
      const second = await client.chat.completions.create({
        model: 'echo',
        messages,
        tools: [WEATHER_TOOL],
      });
      expect(second.choices[0]).toMatchObject({
        message: { role: 'assistant', content: 'rain all day' },
        finish_reason: 'stop',
      });
      expect(second.usage!.total_tokens).toBeGreaterThan(0);
    });

    it.each([
      ['the fake provider', 'gpt-4o', '{"city":"Paris"}'],
      ['echo', 'echo', '{}'],
    ])(
      '%s: streamed tool-call deltas with their indexes reassemble into the call',
      async (_name, model, args) => {
        llm.behave({ toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }] });
        const stream = await client.chat.completions.create({
          model,
          messages: [{ role: 'user', content: 'Weather in Paris?' }],
          tools: [WEATHER_TOOL],
          stream: true,
          stream_options: { include_usage: true },
        });
        const deltas: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
        let usage: OpenAI.CompletionUsage | null | undefined;
        for await (const chunk of stream) {
          deltas.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
          if (chunk.usage) usage = chunk.usage;
        }
        expect(deltas[0]).toMatchObject({
          index: 0,
          id: expect.stringMatching(/^call_/),
          type: 'function',
          function: { name: 'get_weather' },
        });
        expect(deltas.every((d) => d.index === 0)).toBe(true);
        expect(deltas.map((d) => d.function?.arguments ?? '').join('')).toBe(args);
        expect(usage?.total_tokens).toBeGreaterThan(0);

        // The package's own helper rebuilds the whole call from the deltas.
        const final = await client.chat.completions
          .stream({
            model,
            messages: [{ role: 'user', content: 'Weather in Paris?' }],
            tools: [WEATHER_TOOL],
          })
          .finalChatCompletion();
        expect(final.choices[0].message.tool_calls).toEqual([
          {
            id: expect.stringMatching(/^call_/),
            type: 'function',
            function: { name: 'get_weather', arguments: args },
          },
        ]);
        expect(final.choices[0].finish_reason).toBe('tool_calls');
      },
    );

    it.each([
      ['the fake provider', 'gpt-4o', { echo: 'fake' }],
      ['echo', 'echo', { echo: 'Name a city' }],
    ])(
      '%s: response_format json_schema comes back as JSON, plain and streamed',
      async (_name, model, expected) => {
        const response_format: OpenAI.ResponseFormatJSONSchema = {
          type: 'json_schema',
          json_schema: {
            name: 'answer',
            strict: true,
            schema: {
              type: 'object',
              properties: { echo: { type: 'string' } },
              required: ['echo'],
              additionalProperties: false,
            },
          },
        };
        const messages: OpenAI.ChatCompletionMessageParam[] = [
          { role: 'user', content: 'Name a city' },
        ];
        const res = await client.chat.completions.create({ model, messages, response_format });
        expect(JSON.parse(res.choices[0].message.content!)).toEqual(expected);
        const streamed = await client.chat.completions
          .stream({ model, messages, response_format })
          .finalChatCompletion();
        expect(JSON.parse(streamed.choices[0].message.content!)).toEqual(expected);
        if (model === 'gpt-4o')
          expect(llm.requests.map((r) => r.body.response_format)).toEqual([
            response_format,
            response_format,
          ]);
      },
    );

    it.each([
      ['the fake provider', 'gpt-4o', 'Hello from the fake model'],
      ['echo', 'echo', 'two of these'],
    ])('%s: n: 2 returns every choice, plain and streamed', async (_name, model, text) => {
      const messages: OpenAI.ChatCompletionMessageParam[] = [
        { role: 'user', content: 'two of these' },
      ];
      const res = await client.chat.completions.create({ model, messages, n: 2 });
      expect(res.choices.map((c) => [c.index, c.message.content])).toEqual([
        [0, text],
        [1, text],
      ]);
      const stream = await client.chat.completions.create({ model, messages, n: 2, stream: true });
      const texts = ['', ''];
      for await (const chunk of stream)
        for (const c of chunk.choices) texts[c.index] += c.delta.content ?? '';
      expect(texts).toEqual([text, text]);
      if (model === 'gpt-4o') expect(llm.requests.map((r) => r.body.n)).toEqual([2, 2]);
    });

    it.each([
      ['the fake provider', 'gpt-4o'],
      ['echo', 'echo'],
    ])('%s: logprobs and top_logprobs come back with the reply', async (_name, model) => {
      const res = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Hello there' }],
        logprobs: true,
        top_logprobs: 2,
      });
      const content = res.choices[0].logprobs!.content!;
      expect(content.map((l) => l.token).join('')).toBe(res.choices[0].message.content);
      expect(content[0]).toMatchObject({ logprob: expect.any(Number), bytes: expect.any(Array) });
      expect(content[0].top_logprobs.length).toBeGreaterThan(0);
    });

    it('image parts go to the provider unchanged, and its refusal comes back', async () => {
      llm.behave({ refusal: 'I cannot describe this image.' });
      const content: OpenAI.ChatCompletionContentPart[] = [
        { type: 'text', text: 'What is in this picture?' },
        {
          type: 'image_url',
          image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' },
        },
      ];
      const res = await client.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content }],
      });
      expect(res.choices[0].message).toMatchObject({
        content: null,
        refusal: 'I cannot describe this image.',
      });
      expect(llm.requests[0].body.messages).toEqual([{ role: 'user', content }]);

      // echo reads the text parts and ignores the image.
      const echoed = await client.chat.completions.create({
        model: 'echo',
        messages: [{ role: 'user', content }],
      });
      expect(echoed.choices[0].message.content).toBe('What is in this picture?');
    });

    it('what the provider refuses is its own 400, in OpenAI’s shape, plain and streamed', async () => {
      const error = {
        message: 'Invalid image: this model does not take images',
        type: 'invalid_request_error',
        code: 'image_not_supported',
        param: 'messages[0].content[1]',
      };
      llm.behave({ status: 400, error });
      const ask = (stream: boolean) =>
        client.chat.completions
          .create({
            model: 'gpt-4o',
            messages: [{ role: 'user', content: 'x' }],
            tools: [WEATHER_TOOL],
            stream,
          })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
      for (const stream of [false, true]) {
        const err = (await ask(stream)) as BadRequestError;
        expect(err).toBeInstanceOf(BadRequestError);
        expect(err.status).toBe(400);
        expect(err.error).toEqual(error);
      }
    });
  });

  describe('usage', () => {
    const raw = (body: object) =>
      fetch(`${baseURL}/chat/completions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const chunksOf = async (res: Response) =>
      (await res.text())
        .split('\n\n')
        .filter((block) => block.startsWith('data: {'))
        .map((block) => JSON.parse(block.slice(6)) as { choices: unknown[]; usage?: unknown });

    it('a stream carries the provider’s usage chunk only when the client asked for it', async () => {
      llm.behave({ usage: { prompt_tokens: 30, completion_tokens: 6 } });
      const messages = [{ role: 'user', content: 'hi' }];
      const asked = await chunksOf(
        await raw({
          model: 'gpt-4o',
          messages,
          stream: true,
          stream_options: { include_usage: true },
        }),
      );
      expect(asked.at(-1)).toMatchObject({
        choices: [],
        usage: { prompt_tokens: 30, completion_tokens: 6, total_tokens: 36 },
      });
      const unasked = await chunksOf(await raw({ model: 'gpt-4o', messages, stream: true }));
      expect(unasked.filter((c) => c.usage)).toEqual([]);
      expect(llm.requests.map((r) => r.body.stream_options)).toEqual([
        { include_usage: true },
        { include_usage: true },
      ]);
    });

    it('a provider that sends no usage gets a counted one, plain and streamed', async () => {
      llm.behave({ reply: 'Four words in all', usage: null });
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'count' }];
      const plain = await client.chat.completions.create({ model: 'gpt-4o', messages });
      expect(plain.usage).toMatchObject({
        prompt_tokens: expect.any(Number),
        completion_tokens: 4,
      });
      const stream = await client.chat.completions.create({
        model: 'gpt-4o',
        messages,
        stream: true,
        stream_options: { include_usage: true },
      });
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) usage ??= chunk.usage;
      expect(usage).toEqual(plain.usage);
    });
  });

  it('usage records count agent calls like any other, with the provider’s tokens (SPEC §13)', async () => {
    const user = await createUser(t);
    const own = new OpenAI({ apiKey: await createApiKey(t, user.token), baseURL, maxRetries: 0 });
    llm.behave({
      toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }],
      usage: { prompt_tokens: 50, completion_tokens: 12 },
    });
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather?' }];
    await own.chat.completions.create({ model: 'gpt-4o', messages, tools: [WEATHER_TOOL], n: 2 });
    const stream = await own.chat.completions.create({
      model: 'gpt-4o',
      messages,
      tools: [WEATHER_TOOL],
      stream: true,
    });
    for await (const chunk of stream) void chunk;
    const records = await t
      .http()
      .get('/api/v1/usage/records?order=asc')
      .set('Authorization', `Bearer ${user.token}`)
      .expect(200);
    const record = expect.objectContaining({
      endpoint: '/v1/chat/completions',
      model: 'gpt-4o',
      status: 'complete',
      input_tokens: 50,
      output_tokens: 12,
    });
    expect(records.body.data).toEqual([record, record]);
  });

  describe('with LangChain (@langchain/openai)', () => {
    const chat = (model: string) =>
      new ChatOpenAI({ model, apiKey: key, configuration: { baseURL }, maxRetries: 0 });
    const weather = {
      name: 'get_weather',
      description: 'The weather in a city',
      schema: z.object({ city: z.string().optional() }),
    };

    it.each([
      ['the fake provider', 'gpt-4o', { city: 'Paris' }, 'Sunny in Paris.'],
      ['echo', 'echo', {}, 'cloudy'],
    ])('%s: bindTools round trip', async (_name, model, args, answer) => {
      llm.behave(
        { toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }] },
        { reply: 'Sunny in Paris.' },
      );
      const withTools = chat(model).bindTools([weather]);
      const question = new HumanMessage('Weather in Paris?');
      const ai = await withTools.invoke([question]);
      expect(ai.tool_calls).toEqual([
        expect.objectContaining({ name: 'get_weather', args, id: expect.any(String) }),
      ]);
      const result = new ToolMessage({ content: 'cloudy', tool_call_id: ai.tool_calls![0].id! });
      const reply = await withTools.invoke([question, ai, result]);
      expect(reply.content).toBe(answer);

      // Streamed: the chunks' tool-call deltas add up to the same call.
      llm.behave({ toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }] });
      let whole;
      for await (const chunk of await withTools.stream([question]))
        whole = whole ? whole.concat(chunk) : chunk;
      expect(whole!.tool_calls).toEqual([expect.objectContaining({ name: 'get_weather', args })]);
    });

    it.each([
      ['the fake provider', 'gpt-4o', { echo: 'fake' }],
      ['echo', 'echo', { echo: 'Name a city' }],
    ])('%s: withStructuredOutput (JSON schema)', async (_name, model, expected) => {
      const structured = chat(model).withStructuredOutput(z.object({ echo: z.string() }), {
        method: 'jsonSchema',
        name: 'answer',
      });
      expect(await structured.invoke('Name a city')).toEqual(expected);
      if (model === 'gpt-4o')
        expect(llm.requests[0].body.response_format).toMatchObject({ type: 'json_schema' });
    });
  });

  describe('with the Vercel AI SDK (ai + @ai-sdk/openai-compatible)', () => {
    const provider = () =>
      createOpenAICompatible({ name: 'openclaw', baseURL, apiKey: key, includeUsage: true });

    it.each([
      ['the fake provider', 'gpt-4o', { city: 'Paris' }, 'Sunny in Paris.'],
      ['echo', 'echo', {}, 'it rains'],
    ])('%s: generateText with a tool over several steps', async (_name, model, args, answer) => {
      llm.behave(
        { toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }] },
        { reply: 'Sunny in Paris.' },
      );
      const seen: unknown[] = [];
      const result = await generateText({
        model: provider()(model),
        prompt: 'Weather in Paris?',
        tools: {
          get_weather: tool({
            description: 'The weather in a city',
            inputSchema: z.object({ city: z.string().optional() }),
            execute: (input) => {
              seen.push(input);
              return Promise.resolve('it rains');
            },
          }),
        },
        stopWhen: stepCountIs(3),
      });
      expect(seen).toEqual([args]);
      expect(result.steps).toHaveLength(2);
      expect(result.steps[0].finishReason).toBe('tool-calls');
      expect(result.text).toBe(answer);
      expect(result.totalUsage.inputTokens).toBeGreaterThan(0);
    });

    it.each([
      ['the fake provider', 'gpt-4o', 'Hello from the fake model'],
      ['echo', 'echo', 'stream me please'],
    ])('%s: streamText', async (_name, model, text) => {
      const result = streamText({ model: provider()(model), prompt: 'stream me please' });
      const parts: string[] = [];
      for await (const part of result.textStream) parts.push(part);
      expect(parts.length).toBeGreaterThan(1);
      expect(parts.join('')).toBe(text);
      expect(await result.finishReason).toBe('stop');
      expect((await result.usage).outputTokens).toBeGreaterThan(0);
    });
  });
});
