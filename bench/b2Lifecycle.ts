import type { Benchmark } from './context';

export const b2Lifecycle: Benchmark = async () => { throw new Error('not built yet'); };
