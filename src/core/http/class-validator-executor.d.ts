// class-validator's executor, which its index does not export; its types are in the package.
declare module 'class-validator/cjs/validation/ValidationExecutor' {
  export { ValidationExecutor } from 'class-validator/types/validation/ValidationExecutor';
}
