// Images in the canvas and in Image fields. A prop holds a URL or
// "asset:<assetId>"; an asset's bytes need the token, so they are fetched and
// shown through a blob: URL.
import { useEffect, useState } from "react";
import { assetObjectUrl } from "./api";

export const ASSET_PREFIX = "asset:";

export function assetIdOf(src: unknown): string | null {
  return typeof src === "string" && src.startsWith(ASSET_PREFIX) ? src.slice(ASSET_PREFIX.length) : null;
}

// The URL an <img> can load for `src`, or null (none, loading or failed).
export function useImageUrl(src: unknown): { url: string | null; error: string | null } {
  const assetId = assetIdOf(src);
  const [state, setState] = useState<{ for: string; url: string | null; error: string | null }>({
    for: "",
    url: null,
    error: null,
  });
  useEffect(() => {
    if (!assetId) return;
    let live = true;
    assetObjectUrl(assetId).then(
      (url) => live && setState({ for: assetId, url, error: null }),
      (e: unknown) => live && setState({ for: assetId, url: null, error: e instanceof Error ? e.message : String(e) }),
    );
    return () => {
      live = false;
    };
  }, [assetId]);
  if (assetId) return state.for === assetId ? { url: state.url, error: state.error } : { url: null, error: null };
  if (typeof src === "string" && /^(https?:\/\/|\/|data:image\/)/i.test(src)) return { url: src, error: null };
  return { url: null, error: null };
}

export function CanvasImage({ src, alt, className }: { src: unknown; alt?: string; className?: string }) {
  const { url, error } = useImageUrl(src);
  if (!url) {
    return (
      <div className={`pw-img-placeholder ${className ?? ""}`} role="img" aria-label={alt || "image"}>
        {error ? `Image unavailable: ${error}` : src ? "Loading image…" : "No image yet"}
      </div>
    );
  }
  return <img className={className} src={url} alt={alt ?? ""} />;
}
