export const ALL_STORES = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof ALL_STORES)[number];

/**
 * The stores the storage tests run on. INKSTONE_TEST_STORES=sqlite, postgres or sqlite,postgres narrows them for a
 * quick local run; unset (as in CI) means every store. Kept free of imports: the PostgreSQL global setup reads it too.
 */
export function selectedStores(value: string | undefined = process.env.INKSTONE_TEST_STORES): StoreKind[] {
  if (value === undefined || value.trim() === '') return [...ALL_STORES];
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(ALL_STORES as readonly string[]).includes(n));
  if (unknown.length || names.length === 0) {
    throw new Error(`INKSTONE_TEST_STORES must list stores from ${ALL_STORES.join(', ')} separated by commas, got "${value}"`);
  }
  // Always in the standard order, so test names and per-store results line up however the list was written.
  return ALL_STORES.filter((s) => names.includes(s));
}
