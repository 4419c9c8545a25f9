/** Side-effect CSS imports, which Vite bundles; declared so tsc accepts them. */
declare module '*.css';
