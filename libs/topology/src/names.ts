/**
 * Node and encryptor names become URL path segments, Docker Compose service
 * names and Kubernetes object names, so they must be lower-case DNS labels
 * (RFC 1035 style, as Kubernetes Services require): a letter first, then
 * letters, digits or '-', not ending with '-', at most 63 characters.
 */
export const NAME_PATTERN = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const NAME_RULE =
  "names are lower-case DNS labels: a-z, 0-9 and '-', starting with a letter, not ending with '-', at most 63 characters";

export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name);
}
