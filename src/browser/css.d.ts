// CSS files imported as text (the browser build's esbuild loader `.css: text`): the panel puts
// them inside its shadow root, where the page's styles cannot reach.
declare module '*.css' {
  const text: string;
  export default text;
}
