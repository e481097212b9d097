/** The checks of test/view-routes.js, by route. */
export const routes: Record<string, () => Promise<void>>;
