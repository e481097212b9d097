/**
 * The one shape of "close what was just opened if the next step fails":
 * a descriptor an import received and checks, memory a constructor builds
 * on. Without it each caller writes its own try/catch, and one forgets.
 */

/** Returns `use(owned)`, closing `owned` first if `use` throws. */
export function closeOnFailure<C extends { close(): void }, T>(owned: C, use: (owned: C) => T): T {
  try {
    return use(owned);
  } catch (error) {
    owned.close();
    throw error;
  }
}
