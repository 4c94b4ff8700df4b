import {
  getMetadataStorage,
  MetadataStorage,
  ValidationError,
  ValidationTypes,
} from 'class-validator';
import { ValidationExecutor } from 'class-validator/cjs/validation/ValidationExecutor';

type Rules = ReturnType<MetadataStorage['getTargetValidationMetadatas']>;
type Grouped = ReturnType<MetadataStorage['groupByPropertyName']>;

const CACHED = Symbol('rulesCached');

/**
 * class-validator looks a class's rules up again on every object it validates: a scan of every
 * class that has rules (for inheritance), then a regrouping by property. On a /v1 call that was
 * 1.8 % of the request's CPU, more than the checks themselves (bench/results/2026-12-06-d.md). The
 * rules only change while classes are being declared, so both lookups are kept here, and forgotten
 * whenever a rule is added. Neither caller modifies what it gets back.
 */
export function cacheValidationRules(storage: MetadataStorage = getMetadataStorage()): void {
  const marked = storage as MetadataStorage & { [CACHED]?: true };
  if (marked[CACHED]) return;
  marked[CACHED] = true;

  const lookUp = storage.getTargetValidationMetadatas.bind(storage);
  const group = storage.groupByPropertyName.bind(storage);
  let rules = new Map<unknown, Map<string, Rules>>();
  let grouped = new WeakMap<Rules, Grouped>();
  const forget = () => {
    rules = new Map();
    grouped = new WeakMap();
  };

  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    const options = `${schema}\u0000${always}\u0000${strictGroups}\u0000${groups?.join('\u0000') ?? ''}`;
    let byOptions = rules.get(target);
    if (!byOptions) rules.set(target, (byOptions = new Map()));
    let found = byOptions.get(options);
    if (!found)
      byOptions.set(options, (found = lookUp(target, schema, always, strictGroups, groups)));
    return found;
  };
  storage.groupByPropertyName = (metadata) => {
    let found = grouped.get(metadata);
    if (!found) grouped.set(metadata, (found = group(metadata)));
    return found;
  };
  for (const add of [
    'addValidationSchema',
    'addValidationMetadata',
    'addConstraintMetadata',
  ] as const) {
    const original = storage[add].bind(storage) as (value: unknown) => void;
    (storage[add] as (value: unknown) => void) = (value) => {
      forget();
      original(value);
    };
  }
}

type Rule = Rules[number];

interface FieldCheck {
  performValidations(
    object: object,
    value: unknown,
    propertyName: string,
    definedRules: Rule[],
    rules: Rule[],
    errors: ValidationError[],
  ): void;
}

const SKIPPING = Symbol('skipsUncheckedFields');

/**
 * class-validator builds a field's error record (an object, its constraints and children, and
 * three filtered copies of the field's rules) before asking the field's conditions (@IsOptional,
 * @ValidateIf) whether to check it, and drops the empty record at the end. A /v1 body has some
 * forty optional fields and sends two or three: those records were a fifth of what a /v1 call
 * allocated (bench/results/analysis.md). A field whose condition says no is skipped before any of
 * that, with the same outcome: no error for it.
 */
export function skipUncheckedFields(
  executor: FieldCheck = ValidationExecutor.prototype as unknown as FieldCheck,
): void {
  const marked = executor as FieldCheck & { [SKIPPING]?: true };
  if (marked[SKIPPING]) return;
  marked[SKIPPING] = true;
  const check = executor.performValidations;
  executor.performValidations = function (
    object,
    value,
    propertyName,
    definedRules,
    rules,
    errors,
  ) {
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (rule.type !== ValidationTypes.CONDITIONAL_VALIDATION) continue;
      const condition = rule.constraints[0] as (object: object, value: unknown) => boolean;
      if (!condition(object, value)) return;
    }
    check.call(this, object, value, propertyName, definedRules, rules, errors);
  };
}
