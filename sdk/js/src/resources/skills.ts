import { encodePath as p, type RequestOptions } from '../core.js';
import type {
  ListParams,
  Page,
  Skill,
  SkillCreateParams,
  SkillRun,
  SkillRunParams,
  SkillUpdateParams,
} from '../types.js';
import { Resource } from './resource.js';

/** Runs of a skill: the caller's own (admins: everyone's). */
export class SkillRuns extends Resource {
  list(skill: string, params: ListParams = {}, options?: RequestOptions): Promise<Page<SkillRun>> {
    return this.transport.request({
      method: 'GET',
      path: p`/skills/${skill}/runs`,
      query: { ...params },
      options,
    });
  }

  get(skill: string, runId: string, options?: RequestOptions): Promise<SkillRun> {
    return this.transport.request({
      method: 'GET',
      path: p`/skills/${skill}/runs/${runId}`,
      options,
    });
  }
}

export class Skills extends Resource {
  readonly runs = new SkillRuns(this.transport);

  list(params: ListParams = {}, options?: RequestOptions): Promise<Page<Skill>> {
    return this.transport.request({
      method: 'GET',
      path: '/skills',
      query: { ...params },
      options,
    });
  }

  /** Admins only. */
  create(params: SkillCreateParams, options?: RequestOptions): Promise<Skill> {
    return this.transport.request({ method: 'POST', path: '/skills', body: params, options });
  }

  get(name: string, options?: RequestOptions): Promise<Skill> {
    return this.transport.request({ method: 'GET', path: p`/skills/${name}`, options });
  }

  /** Admins only. */
  update(name: string, params: SkillUpdateParams, options?: RequestOptions): Promise<Skill> {
    return this.transport.request({
      method: 'PATCH',
      path: p`/skills/${name}`,
      body: params,
      options,
    });
  }

  /** Admins only. */
  delete(name: string, options?: RequestOptions): Promise<void> {
    return this.transport.request({ method: 'DELETE', path: p`/skills/${name}`, options });
  }

  /**
   * Runs the skill. By default the server waits for the result (up to its SKILL_RUN_WAIT_MS);
   * with `wait: false` it answers at once. A run still `queued` or `running` can be followed with
   * `runs.get()` or {@link Skills.waitForRun}.
   */
  run(name: string, params: SkillRunParams = {}, options?: RequestOptions): Promise<SkillRun> {
    const { wait, ...body } = params;
    return this.transport.request({
      method: 'POST',
      path: p`/skills/${name}/run`,
      query: { wait: wait === undefined ? undefined : String(wait) },
      body,
      options,
    });
  }

  /** Polls a run every `interval` ms (default 500) until it has finished, then returns it. */
  async waitForRun(
    name: string,
    runId: string,
    { interval = 500, ...options }: RequestOptions & { interval?: number } = {},
  ): Promise<SkillRun> {
    for (;;) {
      const run = await this.runs.get(name, runId, options);
      if (run.status !== 'queued' && run.status !== 'running') return run;
      // An aborted signal makes the next get() throw ABORTED.
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
  }
}
