import {
  getMetadataStorage,
  MetadataStorage,
  ValidationError,
  ValidationTypes,
  ValidatorOptions,
} from 'class-validator';
import { ValidationExecutor } from 'class-validator/cjs/validation/ValidationExecutor';

import { firstPatch } from './patch-once';

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
  if (!firstPatch(storage, CACHED)) return;

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
  if (!firstPatch(executor, SKIPPING)) return;
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

interface ObjectCheck extends FieldCheck {
  metadataStorage: MetadataStorage;
  validatorOptions?: ValidatorOptions;
  awaitingPromises: Promise<unknown>[];
  whitelist(object: object, grouped: Grouped, errors: ValidationError[]): void;
  execute(object: object, targetSchema: string | undefined, errors: ValidationError[]): void;
}

/** A field's rules as `execute` splits them: `IS_DEFINED` apart, the checks, and whether one awaits a promise. */
interface FieldRules {
  name: string;
  defined: Rule[];
  rules: Rule[];
  awaitsPromise: boolean;
}

const SPLITTING = Symbol('splitsFieldRulesOnce');
const splitRules = new WeakMap<Grouped, FieldRules[]>();

/** Each field's rules split once per class (the grouping is cached above, so it is the key). */
function fieldRules(grouped: Grouped): FieldRules[] {
  let fields = splitRules.get(grouped);
  if (!fields) {
    fields = Object.keys(grouped).map((name) => {
      const all = grouped[name];
      const rules = all.filter(
        (r) => r.type !== ValidationTypes.IS_DEFINED && r.type !== ValidationTypes.WHITELIST,
      );
      return {
        name,
        defined: all.filter((r) => r.type === ValidationTypes.IS_DEFINED),
        rules,
        awaitsPromise: rules.some((r) => r.type === ValidationTypes.PROMISE_VALIDATION),
      };
    });
    splitRules.set(grouped, fields);
  }
  return fields;
}

/**
 * class-validator's `execute` (0.14.4), with each field's rules split into the defined-check and
 * the rest once per class instead of twice per field of every object validated: a /v1 body has
 * some forty fields, and those copies were 8 % of what a /v1 call allocated
 * (bench/results/analysis.md). Everything else is the method as it was, in the same order, but its
 * warning under `enableDebugMessages` (never set here); the unit test compares the errors of both. Neither the executor nor the field check changes the
 * arrays it is given.
 */
export function splitFieldRulesOnce(
  executor: ObjectCheck = ValidationExecutor.prototype as unknown as ObjectCheck,
): void {
  if (!firstPatch(executor, SPLITTING)) return;
  executor.execute = function (this: ObjectCheck, object, targetSchema, errors) {
    const options = this.validatorOptions;
    const rules = this.metadataStorage.getTargetValidationMetadatas(
      object.constructor,
      targetSchema as string,
      options?.always ?? false,
      options?.strictGroups ?? false,
      options?.groups,
    );
    const grouped = this.metadataStorage.groupByPropertyName(rules);
    // Unknown values are refused unless the option is false.
    if (options?.forbidUnknownValues !== false && rules.length === 0) {
      const error = new ValidationError();
      if (options?.validationError?.target !== false) error.target = object;
      error.value = undefined;
      error.property = undefined as unknown as string;
      error.children = [];
      error.constraints = { unknownValue: 'an unknown value was passed to the validate function' };
      errors.push(error);
      return;
    }
    if (options?.whitelist) this.whitelist(object, grouped, errors);
    for (const { name, defined, rules: checks, awaitsPromise } of fieldRules(grouped)) {
      const value = (object as Record<string, unknown>)[name];
      if (value instanceof Promise && awaitsPromise) {
        this.awaitingPromises.push(
          value.then((resolved) => {
            this.performValidations(object, resolved, name, defined, checks, errors);
          }),
        );
      } else {
        this.performValidations(object, value, name, defined, checks, errors);
      }
    }
  };
}
