const two = (n: number) => String(n).padStart(2, '0');

/**
 * A log line's local time as Nest's ConsoleLogger writes it in en-US
 * ("12/01/2026, 9:02:03 PM"), without Intl: an Intl.DateTimeFormat pulls
 * about 7 MiB of ICU data from the node binary into every process.
 */
export function logTimestamp(date: Date): string {
  const hours = date.getHours();
  return `${two(date.getMonth() + 1)}/${two(date.getDate())}/${date.getFullYear()}, ${hours % 12 || 12}:${two(date.getMinutes())}:${two(date.getSeconds())} ${hours < 12 ? 'AM' : 'PM'}`;
}

/**
 * Make `new Intl.DateTimeFormat(...)` cost nothing until the formatter is
 * used: @nestjs/common builds two when it loads, for timestamps our logger
 * writes with logTimestamp. Call before NestJS is loaded. The first use of
 * any method builds the real formatter with the same arguments.
 */
export function deferDateTimeFormat(): void {
  const Real = Intl.DateTimeFormat;
  if ((Real as { deferred?: boolean }).deferred) return;
  const built = new WeakMap<object, Intl.DateTimeFormat>();
  const args = new WeakMap<object, ConstructorParameters<typeof Intl.DateTimeFormat>>();
  const real = (self: object) => {
    let formatter = built.get(self);
    if (formatter === undefined) {
      formatter = new Real(...args.get(self)!);
      built.set(self, formatter);
    }
    return formatter;
  };
  const Deferred = function (this: object | undefined, ...given: ConstructorParameters<typeof Intl.DateTimeFormat>) {
    const self = this instanceof Deferred ? this : Object.create(Deferred.prototype);
    args.set(self, given);
    return self;
  } as unknown as typeof Intl.DateTimeFormat & { deferred: boolean };
  for (const method of ['format', 'formatToParts', 'formatRange', 'formatRangeToParts', 'resolvedOptions'] as const) {
    Object.defineProperty(Deferred.prototype, method, {
      value(this: object, ...a: unknown[]) {
        return (real(this)[method] as (...x: unknown[]) => unknown)(...a);
      },
    });
  }
  Object.defineProperty(Deferred, 'supportedLocalesOf', { value: Real.supportedLocalesOf.bind(Real) });
  Deferred.deferred = true;
  Intl.DateTimeFormat = Deferred;
}
