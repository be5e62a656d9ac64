// An Image field (library fields with "format": "image"): a URL box, a file
// input that uploads the file as a site asset (POST /v1/sites/{id}/assets)
// and sets the prop to "asset:<assetId>", and a thumbnail of what it holds.
import { useId, useState } from "react";
import { ApiError, api, rememberAssetPosition, type Asset } from "./api";
import { ErrorNotice } from "./errors";
import { CanvasImage } from "./images";

type Props = {
  siteId: string;
  label: string;
  value: unknown;
  onChange: (value: string) => void;
  readOnly?: boolean;
};

export function ImageField({ siteId, label, value, onChange, readOnly }: Props) {
  const inputId = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const current = typeof value === "string" ? value : "";

  async function upload(file: File) {
    setBusy(true);
    setError(null);
    try {
      const r = await api.upload<Asset>(
        `/v1/sites/${encodeURIComponent(siteId)}/assets?filename=${encodeURIComponent(file.name)}`,
        file,
        file.type,
      );
      rememberAssetPosition(r.data.assetId, r.data.position);
      onChange(`asset:${r.data.assetId}`);
    } catch (e) {
      setError(e instanceof ApiError ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="pw-image-field">
      <div className="pw-image-field-label">{label}</div>
      {current && <CanvasImage className="pw-image-field-thumb" src={current} alt="" />}
      <input
        aria-label={`${label} URL`}
        className="pw-input"
        type="text"
        value={current}
        placeholder="https://… or upload a file"
        readOnly={readOnly}
        onChange={(e) => onChange(e.target.value)}
      />
      {!readOnly && (
        <label className="pw-button pw-button-small" htmlFor={inputId}>
          {busy ? "Uploading…" : "Upload image"}
          <input
            id={inputId}
            className="pw-visually-hidden"
            type="file"
            accept="image/png,image/jpeg,image/webp,image/gif,image/avif"
            disabled={busy}
            data-testid="image-upload"
            onChange={(e) => {
              const file = e.target.files?.[0];
              e.target.value = "";
              if (file) void upload(file);
            }}
          />
        </label>
      )}
      {error !== null && <ErrorNotice error={error} title="The image was not uploaded" />}
    </div>
  );
}
