/** `npm run sim -- fleet ...`: many users' devices for load. Built with the benchmark. */
export async function fleet(_argv: string[]): Promise<void> {
  await Promise.resolve();
  throw new Error('fleet: not built yet');
}
