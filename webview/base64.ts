/**
 * Base64 ⇄ bytes for images crossing the message channel. Chunked because
 * String.fromCharCode(...bytes) on a multi-megabyte image overflows the argument stack.
 */
const CHUNK = 0x8000;

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A blob: URL for a base64 PNG: the CSP allows blob: images but not data: URLs. */
export function pngBlobUrl(base64: string): string {
  const bytes = base64ToBytes(base64);
  return URL.createObjectURL(new Blob([bytes.buffer as ArrayBuffer], { type: 'image/png' }));
}
