/** The public key that checks export manifests: its fingerprint, and the key itself to save beside the files. */

import { useEffect, useState } from "preact/hooks";
import { signingKey } from "../api/endpoints";
import type { SigningKey } from "../api/types";
import { ErrorNote } from "../components/Notice";

export function SigningKeyFacts() {
  const [key, setKey] = useState<SigningKey | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    signingKey.get().then(setKey, setError);
  }, []);

  if (error) return <ErrorNote error={error} title="The signing key could not be loaded." />;
  if (!key) return null;
  return (
    <div class="signing-key" data-testid="signing-key">
      <p>
        The manifest is signed ({key.algorithm}) by the key <code class="hash" data-testid="key-fingerprint">{key.fingerprint}</code>.{" "}
        <a href={`data:application/x-pem-file;charset=utf-8,${encodeURIComponent(key.public_key_pem)}`} download="vms-signing-key.pem">
          Download public key
        </a>
      </p>
      <p class="muted small">
        Anyone can check the video and its manifest with it and <code>redaction/verify.py</code> from the VMS source
        (a standalone script):{" "}
        <code>python verify.py VIDEO MANIFEST --key vms-signing-key.pem</code>
      </p>
    </div>
  );
}
