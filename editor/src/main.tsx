// Puck without its @import of a web font from another origin (the CSP and
// the closed network refuse it); the system font stack stands in.
import "@puckeditor/core/no-external.css";
import "./styles.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { adoptTokenFromFragment } from "./auth";
import { ErrorBoundary } from "./errors";

adoptTokenFromFragment();

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <ErrorBoundary>
        <App />
      </ErrorBoundary>
    </StrictMode>,
  );
}
