/**
 * Typed Durable Object stubs. workers-types maps RPC return types through `Rpc.*` helpers that are too deep
 * for tsc on recursive JSON types and drop `unknown` fields; structured clone carries exactly the values the
 * methods return, so their plain signatures, as promises, are the accurate stub type.
 */
type Method = (...args: never[]) => unknown;

/** A Durable Object class's public methods as the caller sees them over RPC. */
export type RpcOf<T> = {
  [K in keyof T as T[K] extends Method ? K : never]: T[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

/**
 * The named object of a namespace, typed by an RPC contract interface rather than the class: platform code
 * reaches objects whose classes live in durable-objects/, which it must not import. The class `implements`
 * the contract, so the two cannot drift.
 */
export function stubAs<C>(namespace: { getByName(name: string): unknown }, name: string): RpcOf<C> {
  return namespace.getByName(name) as RpcOf<C>;
}

/** The named object of a namespace, typed as its RPC surface. */
export function stubOf<T extends Rpc.DurableObjectBranded | undefined>(
  namespace: DurableObjectNamespace<T>,
  name: string,
): RpcOf<NonNullable<T>> {
  return namespace.getByName(name) as unknown as RpcOf<NonNullable<T>>;
}
