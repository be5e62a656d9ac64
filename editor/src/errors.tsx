// How failures reach the user: what the API said (its message, code and
// details, the request id to quote), never a blank screen.
import { Component, type ErrorInfo, type ReactNode } from "react";
import { ApiError } from "./api";

// What the user can do about an error, where the code says.
function advice(e: ApiError): string | null {
  switch (e.code) {
    case "UNAUTHENTICATED":
      return "Your token is missing, invalid or expired: sign in again with a fresh one (ops/run prints one).";
    case "FORBIDDEN":
      return "Your role does not allow this; ask an admin or owner of the site.";
    case "NOT_FOUND":
      return "It does not exist (any more), or belongs to another tenant.";
    case "VERSION_CONFLICT":
      return "Someone else changed it meanwhile: reload to get their version.";
    case "RATE_LIMITED":
      return "Too many requests: wait a few seconds and try again.";
    case "UNAVAILABLE":
      return "The server is busy or catching up: try again in a moment.";
    case "PAYLOAD_TOO_LARGE":
      return "It is too large for the server's limits.";
    case "UNSUPPORTED_MEDIA_TYPE":
      return "Upload a PNG, JPEG, WebP, GIF or AVIF image.";
    case "NETWORK":
      return "Check that pagewright is running and reachable.";
    default:
      return null;
  }
}

export function ErrorNotice({
  error,
  title,
  onDismiss,
  describeField,
  children,
}: {
  error: unknown;
  title?: string;
  onDismiss?: () => void;
  // Says in words where a detail's field is (e.g. which component a JSON pointer names).
  describeField?: (field: string) => string | undefined;
  children?: ReactNode;
}) {
  const e = error instanceof ApiError ? error : null;
  const message = error instanceof Error ? error.message : String(error);
  const hint = e ? advice(e) : null;
  return (
    <div className="pw-error" role="alert">
      <div className="pw-error-title">{title ?? "Something went wrong"}</div>
      <div className="pw-error-message">
        {message}
        {e && e.code && (
          <span className="pw-error-code">
            {" "}
            ({e.code}
            {e.status ? `, HTTP ${e.status}` : ""})
          </span>
        )}
      </div>
      {e && e.details.length > 0 && (
        <ul className="pw-error-details">
          {e.details.map((d, i) => {
            const where = d.field && describeField ? describeField(d.field) : undefined;
            return (
              <li key={i}>
                {where && where !== d.field && <strong>{where}: </strong>}
                {d.message} {d.field && <code className="pw-error-field">{d.field}</code>}
              </li>
            );
          })}
        </ul>
      )}
      {hint && <div className="pw-error-hint">{hint}</div>}
      {(e?.request || e?.requestId) && (
        <div className="pw-error-request">
          {e.request && <code>{e.request}</code>}
          {e.requestId && ` · request id ${e.requestId}`}
        </div>
      )}
      {children}
      {onDismiss && (
        <button type="button" className="pw-button pw-button-small" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  );
}

type BoundaryState = { error: Error | null };

// A render error anywhere below shows what failed and a way out, instead of
// React unmounting everything to a blank page.
export class ErrorBoundary extends Component<{ children: ReactNode; where?: string }, BoundaryState> {
  state: BoundaryState = { error: null };

  static getDerivedStateFromError(error: Error): BoundaryState {
    return { error };
  }

  componentDidCatch(error: Error, info: ErrorInfo) {
    console.error("editor error", error, info.componentStack);
  }

  render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="pw-page">
        <ErrorNotice error={this.state.error} title={`The editor failed${this.props.where ? ` in ${this.props.where}` : ""}`}>
          <p>
            Your last saved version is safe on the server. Unsaved changes of the open page are kept in this tab's
            storage and offered again when you reopen it.
          </p>
          <div className="pw-row">
            <button type="button" className="pw-button" onClick={() => this.setState({ error: null })}>
              Try again
            </button>
            <button type="button" className="pw-button" onClick={() => window.location.reload()}>
              Reload the editor
            </button>
          </div>
        </ErrorNotice>
      </div>
    );
  }
}
