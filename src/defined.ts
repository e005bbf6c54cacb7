/**
 * Drops the undefined members of an options object. With
 * exactOptionalPropertyTypes an optional property may be absent but not
 * undefined, and options passed along from the command line often are.
 */
export function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as never;
}
