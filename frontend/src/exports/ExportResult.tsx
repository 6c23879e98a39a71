/** A finished export: the redacted video and its signed manifest, with the facts to check them by. */

import type { Export } from "../api/types";
import { fileSize } from "../components/format";
import { SigningKeyFacts } from "./SigningKeyFacts";

export function ExportResult({ item }: { item: Export }) {
  return (
    <section class="card export-result" data-testid="export-result">
      <h2>Redacted video</h2>
      <div class="actions left">
        {item.download_url && <a class="button primary" href={item.download_url} download data-testid="download-export">Download video (MP4)</a>}
        {item.manifest_url && <a class="button" href={item.manifest_url} download data-testid="download-manifest">Manifest (signed JSON)</a>}
      </div>
      <dl class="facts-list">
        <dt>File size</dt><dd data-testid="export-size">{fileSize(item.file_size)}</dd>
        <dt>SHA-256</dt><dd><code class="hash" data-testid="export-sha256">{item.sha256}</code></dd>
      </dl>
      <SigningKeyFacts />
    </section>
  );
}
