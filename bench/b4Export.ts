import type { Benchmark } from './context';

export const b4Export: Benchmark = async () => { throw new Error('not built yet'); };
