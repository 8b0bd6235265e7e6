// `@confluence/contracts/rules`: what the server and the browser client share at run time (no zod, no DOM, no Node).
export * from './names';
export * from './price';
export * from './table-rules';
export * from './sub-signals';
