/** The bench worker's workflows: the production ones plus B2's no-op reference (bench only). */
export * from '../../workflows/index';
export { noopCase } from './noopCase';
