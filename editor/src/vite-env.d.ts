/// <reference types="vite/client" />
interface ImportMetaEnv {
  // The API's origin when it is not the editor's own (the Vite dev server).
  readonly VITE_PAGEWRIGHT_API?: string;
}
