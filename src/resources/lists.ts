/**
 * Lists, as kubectl reads them: a mapping whose `kind` ends in `List` (`List`, `SecretList`,
 * `ConfigMapList`, ...) and whose `items` is a sequence stands for its items. Lists nested in
 * lists are flattened too, as kubectl's resource builder does.
 */
import { isRecord, type KubeObject } from './resource.js';

/** A list object: `kind` ending in `List` and an `items` sequence. */
export function isListObject(v: unknown): v is KubeObject & { items: unknown[] } {
  return isRecord(v) && typeof v['kind'] === 'string' && v['kind'].endsWith('List') && Array.isArray(v['items']);
}

/** The documents a value stands for: the items of a list (recursively), or the value itself. */
export function expandLists(value: unknown): unknown[] {
  if (!isListObject(value)) return [value];
  const out: unknown[] = [];
  const stack: unknown[] = [...value.items].reverse();
  while (stack.length > 0) {
    const v = stack.pop();
    if (isListObject(v)) for (let i = v.items.length - 1; i >= 0; i--) stack.push(v.items[i]);
    else out.push(v);
  }
  return out;
}
