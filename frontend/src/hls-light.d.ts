// hls.js ships its light build without its own type declarations; it has the full build's API.
declare module "hls.js/light" {
  export * from "hls.js";
  export { default } from "hls.js";
}
