// The exact solver layer: models as data, one solve() over GLPK, HiGHS and javascript-lp-solver, LP/MPS files.
export * from './model.js';
export * from './result.js';
export { solve, solveInProcess, solverVersion, assertSolvable, BACKENDS, SECOND_OPINION } from './solve.js';
export { writeLp, parseLp, lpNames } from './lp-format.js';
export { writeMps, type MpsWriteOptions } from './mps-format.js';
export { parseMps } from './mps-read.js';
export { readSolution, detectSolutionFormat, columnOrder, type ExternalSolution, type ExternalStatus, type SolutionFormat } from './solution-read.js';
