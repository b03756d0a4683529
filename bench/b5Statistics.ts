import type { Benchmark } from './context';

export const b5Statistics: Benchmark = async () => { throw new Error('not built yet'); };
