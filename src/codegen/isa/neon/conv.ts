/** Moved: the NEON conv variants live in conv/ (this re-export keeps the provider's import until it lists the variants). */
export { convVariants, selectConv } from './conv/index.js';
