/** Moved: the NEON softmax variants live in softmax/ (this re-export keeps the provider's import until it lists the variants). */
export { softmaxVariants, selectSoftmax } from './softmax/index.js';
