import { getMetadataStorage, ValidationTypes } from 'class-validator';
import type { ValidationArguments } from 'class-validator';
import { TransformationType } from 'class-transformer';
import type { MetadataStorage as TransformerStorage } from 'class-transformer/types/MetadataStorage';

// class-transformer keeps its @Type/@Transform metadata in a module it does not re-export. A plain require of
// its file, so that a bundle shares the one instance class-transformer itself fills.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage: transformerStorage } = require('class-transformer/cjs/storage') as { defaultMetadataStorage: TransformerStorage };

/**
 * A DTO's class-validator rules, compiled once per class: the value to go on
 * with if a plain value passes (itself, or a copy with the @Transform
 * conversions applied, as class-transformer would convert it), undefined if not.
 */
export type DtoCheck = (value: unknown) => object | undefined;

/** A DTO class (what Nest's metatype holds). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DtoClass = abstract new (...args: any[]) => unknown;

interface Rule {
  validate(value: unknown, args: ValidationArguments): unknown;
  constraints: unknown[];
  each: boolean;
}

type PropertyTransform = (params: { value: unknown; key: string; obj: object; type: TransformationType; options: object }) => unknown;

interface PropertyCheck {
  name: string;
  /** @Transform functions (plain to class), applied in order before the rules, when the property is present. */
  transforms: PropertyTransform[];
  /** @IsOptional and the like: when one says no, the property's rules do not run. */
  conditions: Array<(object: object, value: unknown) => boolean>;
  rules: Rule[];
  nested?: DtoCheck;
}

/** Top-level checks (conversions applied) and nested ones (checked in place), each compiled once per class. */
const topLevelChecks = new Map<DtoClass, DtoCheck | null>();
const nestedChecks = new Map<DtoClass, DtoCheck | null>();

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The DTO's class-validator metadata as one synchronous function, for the
 * hot path of signed messages: class-validator looks its metadata up, builds
 * an instance (class-transformer) and an error tree at every request, which
 * made a fifth of a hub's CPU. Same rules, same validator functions (called
 * directly), so "passes here" means "passes class-validator"; a value that
 * fails goes to class-validator for its messages. A top-level @Transform is
 * applied to a copy, as class-transformer applies it. Undefined for a class
 * whose rules this does not cover (groups, @Expose, a nested @Transform, async
 * or conditional-only rules...), which then always goes to class-validator.
 */
export function compileDtoCheck(target: DtoClass): DtoCheck | undefined {
  return compiledOnce(topLevelChecks, target, true);
}

/** Nested DTOs are checked in place: their conversions would have to be applied to a copy of the whole tree. */
function compileNestedCheck(target: DtoClass): DtoCheck | undefined {
  return compiledOnce(nestedChecks, target, false);
}

function compiledOnce(cache: Map<DtoClass, DtoCheck | null>, target: DtoClass, topLevel: boolean): DtoCheck | undefined {
  if (cache.has(target)) return cache.get(target) ?? undefined;
  cache.set(target, null); // a class that contains itself stays uncompiled
  const check = build(target, topLevel);
  cache.set(target, check ?? null);
  return check;
}

function build(target: DtoClass, topLevel: boolean): DtoCheck | undefined {
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(target, '', false, false, undefined);
  if (metadatas.length === 0) return undefined;
  if (transformerStorage.getExposedMetadatas(target).length > 0 || transformerStorage.getExcludedMetadatas(target).length > 0) return undefined;
  const byName = storage.groupByPropertyName(metadatas);
  const properties: PropertyCheck[] = [];
  for (const [name, list] of Object.entries(byName)) {
    const transforms = transformerStorage.findTransformMetadatas(target, name, TransformationType.PLAIN_TO_CLASS);
    if (transforms.length > 0 && (!topLevel || transforms.some((t) => (t.options.groups?.length ?? 0) > 0 || t.options.since !== undefined || t.options.until !== undefined))) return undefined;
    const property: PropertyCheck = { name, transforms: transforms.map((t) => t.transformFn as PropertyTransform), conditions: [], rules: [] };
    for (const m of list) {
      if ((m.groups?.length ?? 0) > 0 || m.always) return undefined;
      switch (m.type) {
        case ValidationTypes.WHITELIST:
          break;
        case ValidationTypes.CONDITIONAL_VALIDATION:
          property.conditions.push(m.constraints[0] as (object: object, value: unknown) => boolean);
          break;
        case ValidationTypes.CUSTOM_VALIDATION: {
          const constraints = m.constraintCls === undefined ? [] : storage.getTargetValidatorConstraints(m.constraintCls);
          if (constraints.length === 0 || constraints.some((c) => c.async)) return undefined;
          for (const c of constraints) property.rules.push({ validate: (value, args) => c.instance.validate(value, args), constraints: m.constraints ?? [], each: m.each === true });
          break;
        }
        case ValidationTypes.NESTED_VALIDATION: {
          const type = transformerStorage.findTypeMetadata(target, name)?.typeFunction();
          const nested = typeof type === 'function' ? compileNestedCheck(type as DtoClass) : undefined;
          if (nested === undefined || property.nested !== undefined) return undefined;
          property.nested = nested;
          break;
        }
        default:
          return undefined; // IS_DEFINED, PROMISE_VALIDATION: class-validator's own
      }
    }
    properties.push(property);
  }
  const allowed = new Set(properties.map((p) => p.name));
  const targetName = target.name;
  const converted = properties.filter((p) => p.transforms.length > 0);

  return (given) => {
    if (!isPlainObject(given)) return undefined;
    for (const key of Object.keys(given)) if (!allowed.has(key)) return undefined;
    let value = given;
    if (converted.length > 0) {
      value = { ...given };
      for (const p of converted) {
        if (!Object.hasOwn(given, p.name)) continue;
        for (const transform of p.transforms) value[p.name] = transform({ value: value[p.name], key: p.name, obj: given, type: TransformationType.PLAIN_TO_CLASS, options: {} });
      }
    }
    // One arguments object per property, its constraints set per rule: the validators are synchronous and keep
    // nothing (a batch of 32 shares would otherwise make a few hundred of them, and closures, per message).
    for (const p of properties) {
      const v = Object.hasOwn(value, p.name) ? value[p.name] : undefined;
      if (!passesConditions(p.conditions, value, v)) continue;
      const args: ValidationArguments = { targetName, property: p.name, object: value, value: v, constraints: [] };
      for (const rule of p.rules) {
        args.constraints = rule.constraints;
        if (rule.each) {
          // class-validator checks a non-array value itself here; not worth a fast path.
          if (!Array.isArray(v)) return undefined;
          for (const item of v) if (rule.validate(item, args) !== true) return undefined;
        } else if (rule.validate(v, args) !== true) {
          return undefined;
        }
      }
      if (p.nested !== undefined && v !== undefined) {
        if (Array.isArray(v)) {
          for (const item of v) if (p.nested(item) === undefined) return undefined;
        } else if (p.nested(v) === undefined) {
          return undefined;
        }
      }
    }
    return value;
  };
}

function passesConditions(conditions: PropertyCheck['conditions'], object: object, value: unknown): boolean {
  for (const condition of conditions) if (!condition(object, value)) return false;
  return true;
}
